//! The indexes against a scan of every image, and what a page costs as the store grows.

use super::*;
use crate::auth::Caller;
use crate::glance::image::{Member, Status};
use crate::glance::list::{parse_query, scan, select, wanted};

/// A small deterministic generator (an LCG), so that a failing case can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize].clone()
    }
}

fn at(second: u64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + second as i64).unwrap()
}

/// Images with many ties (names, seconds, even whole timestamps) and every visibility.
fn random_image(rng: &mut Rng) -> Image {
    let id = uuid::Uuid::from_u128(u128::from(rng.below(u64::MAX))).to_string();
    let owner = rng.pick(&["p1", "p2", "p3"]).to_owned();
    let mut image = Image::new(id, Some(owner), at(rng.below(30)));
    change(rng, &mut image);
    image
}

fn change(rng: &mut Rng, image: &mut Image) {
    image.name = rng
        .pick(&[None, Some("a"), Some("b"), Some("c")])
        .map(Into::into);
    image.status = rng.pick(&[
        Status::Queued,
        Status::Active,
        Status::Active,
        Status::Killed,
        Status::Deactivated,
    ]);
    image.visibility = rng
        .pick(&["public", "private", "shared", "shared", "community"])
        .to_owned();
    image.os_hidden = rng.below(6) == 0;
    image.size = rng.pick(&[None, Some(1), Some(5)]);
    image.disk_format = rng
        .pick(&[None, Some("raw"), Some("qcow2")])
        .map(Into::into);
    image.tags = rng.pick(&[vec![], vec!["t".to_owned()]]);
    image.updated_at = at(30 + rng.below(20));
    image.members = match rng.below(3) {
        0 => vec![],
        _ => vec![Member {
            member_id: rng.pick(&["p2", "p4"]).to_owned(),
            status: rng.pick(&["pending", "accepted", "rejected"]).to_owned(),
            created_at: image.created_at,
            updated_at: image.created_at,
        }],
    };
}

fn caller(project: &str, roles: &[&str]) -> Caller {
    Caller {
        user_id: format!("u-{project}"),
        user_name: format!("u-{project}"),
        user_domain_id: "default".into(),
        project_id: Some(project.into()),
        project_name: Some(project.into()),
        domain_id: None,
        system: false,
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
    }
}

/// Changed, replaced and removed records, so that the indexes must have followed.
fn churned(rng: &mut Rng, count: usize) -> Images {
    let mut images = Images::new(BTreeMap::new());
    for _ in 0..count {
        let image = random_image(rng);
        images.insert(image.id.clone(), image);
    }
    let ids: Vec<String> = images.keys().cloned().collect();
    for id in &ids {
        match rng.below(4) {
            0 => change(rng, &mut images.get_mut(id).unwrap()),
            1 => {
                let mut copy = images[id.as_str()].clone();
                change(rng, &mut copy);
                images.insert(id.clone(), copy);
            }
            2 if rng.below(3) == 0 => drop(images.remove(id)),
            _ => {}
        }
    }
    images
}

const QUERIES: &[&str] = &[
    "",
    "sort_key=name",
    "sort=name:asc",
    "sort=created_at:asc",
    "sort_key=updated_at&sort_dir=asc",
    "sort=status",
    "sort=size:asc",
    "sort=id:asc",
    "sort=disk_format:asc,created_at:asc",
    "sort=name,size",
    "visibility=public",
    "visibility=shared&member_status=all",
    "visibility=all",
    "visibility=community",
    "visibility=private&sort=created_at:asc",
    "owner=p2",
    "status=active",
    "status=in:active,queued&sort=name:desc",
    "os_hidden=true",
    "tag=t",
    "owner=p1&visibility=private",
];

/// Every page of every query, followed by its next marker, is what a scan of every image
/// finds.
#[test]
fn indexed_pages_are_the_pages_a_scan_finds() {
    let mut rng = Rng(14);
    let images = churned(&mut rng, 300);
    let callers = [
        caller("p1", &["admin", "member", "reader"]),
        caller("p2", &["member", "reader"]),
        caller("p3", &["reader"]),
        caller("p4", &["member", "reader"]),
    ];
    for who in &callers {
        for base in QUERIES {
            for limit in [1, 4, 25] {
                let mut marker: Option<String> = None;
                for page in 0.. {
                    let text = match &marker {
                        Some(m) => format!("{base}&limit={limit}&marker={m}"),
                        None => format!("{base}&limit={limit}"),
                    };
                    let query = parse_query(Some(&text)).unwrap();
                    let (got, next) = select(who, &images, &query).unwrap();
                    let from = marker.as_deref().map(|m| &images[m]);
                    let expected = scan(images.values(), wanted(who, &query, from), &query);
                    let ids = |page: &[&Image]| -> Vec<String> {
                        page.iter().map(|i| i.id.clone()).collect()
                    };
                    assert_eq!(ids(&got), ids(&expected), "{text} as {}", who.user_id);
                    assert!(page < 400, "{text}: the pages never end");
                    match next {
                        Some(next) => marker = Some(next),
                        None => break,
                    }
                }
            }
        }
    }
}

/// The median time of a few selects of `query`.
/// How many records the indexes handed out while listing one page of `query`.
fn work_of(who: &Caller, images: &Images, query: &str) -> usize {
    let query = parse_query(Some(query)).unwrap();
    LOOKED_AT.with(|n| n.set(0));
    let (page, _) = select(who, images, &query).unwrap();
    assert!(!page.is_empty());
    LOOKED_AT.with(|n| n.get())
}

/// The default list, a page after a marker, and the owner and visibility filters cost
/// about a page's work, counted in records looked at: the same with 100 times the images
/// (a scan looks at every one).
#[test]
fn a_page_costs_the_same_with_a_hundred_times_the_images() {
    let admin = caller("p1", &["admin", "member", "reader"]);
    let member = caller("p2", &["member", "reader"]);
    let fill = |count: usize| {
        let mut images = Images::new(BTreeMap::new());
        for i in 0..count {
            let owner = ["p1", "p2", "p3"][i % 3];
            let id = uuid::Uuid::from_u128(i as u128 * 7_919).to_string();
            let mut image = Image::new(id, Some(owner.into()), at(i as u64));
            image.visibility = ["private", "public", "shared"][i / 3 % 3].into();
            image.name = Some(format!("image-{i}"));
            images.insert(image.id.clone(), image);
        }
        images
    };
    let (small, large) = (fill(200), fill(20_000));
    let marker = |images: &Images| {
        let (page, next) = select(&admin, images, &parse_query(None).unwrap()).unwrap();
        assert_eq!(page.len(), 25);
        next.unwrap()
    };
    let cases = [
        (&admin, String::new()),
        (&admin, "owner=p2".to_owned()),
        (&admin, "sort=name:asc".to_owned()),
        (&member, String::new()),
        (&member, "visibility=private".to_owned()),
    ];
    for (who, query) in cases {
        let at_small = work_of(who, &small, &query);
        let at_large = work_of(who, &large, &query);
        assert!(
            at_large <= at_small + 25 && at_large < 200,
            "'{query}': {at_small} records looked at with 200 images, {at_large} with 20,000"
        );
    }
    let (m_small, m_large) = (marker(&small), marker(&large));
    let at_small = work_of(&admin, &small, &format!("marker={m_small}"));
    let at_large = work_of(&admin, &large, &format!("marker={m_large}"));
    assert!(at_large <= at_small + 25, "{at_small} vs {at_large}");
}
