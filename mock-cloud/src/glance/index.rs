//! The image records with ordered indexes beside them, so that a list page costs about a
//! page's work however many images are stored (Glance answers from SQL indexes): one index
//! per sort key, ordered by (key, created_at, id), and subsets in the default order
//! (created_at, id) per owner, visibility, status and member project, for the filters and
//! visibility rules most lists carry.
//!
//! Every change to a record goes through [`Images`], which keeps the indexes in step: a
//! record borrowed with [`Images::get_mut`] is re-indexed when the borrow ends.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use jiff::Timestamp;

use super::image::Image;

/// The keys Glance sorts images by.
pub(crate) const SORT_KEYS: [&str; 8] = [
    "name",
    "status",
    "container_format",
    "disk_format",
    "size",
    "id",
    "created_at",
    "updated_at",
];

/// A sort key's value, ordered as `list::compare` orders images (`None` first).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Value {
    Text(Option<String>),
    Number(Option<u64>),
    Time(Timestamp),
}

fn value(image: &Image, key: &str) -> Value {
    match key {
        "name" => Value::Text(image.name.clone()),
        "status" => Value::Text(Some(image.status.as_str().to_owned())),
        "container_format" => Value::Text(image.container_format.clone()),
        "disk_format" => Value::Text(image.disk_format.clone()),
        "size" => Value::Number(image.size),
        "id" => Value::Text(Some(image.id.clone())),
        "created_at" => Value::Time(image.created_at),
        _ => Value::Time(image.updated_at),
    }
}

/// A subset of the images, kept in the default order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Part {
    /// Owned by a project.
    Owner(String),
    /// With a visibility.
    Visibility(String),
    /// With a status.
    Status(String),
    /// Shared with a project (whatever the membership's status).
    Member(String),
}

/// Ids ordered by (value, created_at, id), each level walkable either way.
#[derive(Debug, Default)]
struct Index {
    tree: BTreeMap<Value, BTreeMap<Timestamp, BTreeSet<Arc<str>>>>,
    len: usize,
}

/// `iter` forwards when `asc`, else backwards.
fn directed<'a, T: 'a>(
    iter: impl DoubleEndedIterator<Item = T> + 'a,
    asc: bool,
) -> Box<dyn Iterator<Item = T> + 'a> {
    if asc {
        Box::new(iter)
    } else {
        Box::new(iter.rev())
    }
}

impl Index {
    fn insert(&mut self, value: Value, created_at: Timestamp, id: &Arc<str>) {
        let ids = self.tree.entry(value).or_default().entry(created_at);
        if ids.or_default().insert(id.clone()) {
            self.len += 1;
        }
    }

    fn remove(&mut self, value: &Value, created_at: Timestamp, id: &str) {
        let Some(times) = self.tree.get_mut(value) else {
            return;
        };
        if let Some(ids) = times.get_mut(&created_at) {
            if ids.remove(id) {
                self.len -= 1;
            }
            if ids.is_empty() {
                times.remove(&created_at);
            }
        }
        if times.is_empty() {
            self.tree.remove(value);
        }
    }

    /// The ids in the order value by `asc[0]`, created_at by `asc[1]`, id by `asc[2]`; with
    /// `from`, starting at the first id of that (value, created_at) run.
    fn walk(
        &self,
        asc: [bool; 3],
        from: Option<(Value, Timestamp)>,
    ) -> impl Iterator<Item = &Arc<str>> + '_ {
        type Times = BTreeMap<Timestamp, BTreeSet<Arc<str>>>;
        let groups: Box<dyn Iterator<Item = (&Value, &Times)>> = match &from {
            None => directed(self.tree.iter(), asc[0]),
            Some((value, _)) if asc[0] => Box::new(self.tree.range(value.clone()..)),
            Some((value, _)) => Box::new(self.tree.range(..=value.clone()).rev()),
        };
        groups.flat_map(move |(value, times)| {
            let start = from.as_ref().filter(|(v, _)| v == value).map(|(_, at)| *at);
            let times: Box<dyn Iterator<Item = (&Timestamp, &BTreeSet<Arc<str>>)>> = match start {
                Some(at) if asc[1] => Box::new(times.range(at..)),
                Some(at) => Box::new(times.range(..=at).rev()),
                None => directed(times.iter(), asc[1]),
            };
            times.flat_map(move |(_, ids)| directed(ids.iter(), asc[2]))
        })
    }
}

/// Where an image sits in every index.
#[derive(Debug, PartialEq)]
struct Entry {
    id: Arc<str>,
    created_at: Timestamp,
    values: Vec<Value>,
    parts: Vec<Part>,
}

impl Entry {
    fn of(image: &Image) -> Entry {
        let mut parts = vec![
            Part::Visibility(image.visibility.clone()),
            Part::Status(image.status.as_str().to_owned()),
        ];
        parts.extend(image.owner.clone().map(Part::Owner));
        parts.extend(
            image
                .members
                .iter()
                .map(|m| Part::Member(m.member_id.clone())),
        );
        Entry {
            id: Arc::from(image.id.as_str()),
            created_at: image.created_at,
            values: SORT_KEYS.iter().map(|key| value(image, key)).collect(),
            parts,
        }
    }
}

/// The indexes of every image.
#[derive(Debug, Default)]
struct Indexes {
    sorted: Vec<Index>,
    parts: HashMap<Part, Index>,
}

impl Indexes {
    fn new() -> Indexes {
        Indexes {
            sorted: SORT_KEYS.iter().map(|_| Index::default()).collect(),
            parts: HashMap::new(),
        }
    }

    fn add(&mut self, entry: &Entry) {
        for (index, value) in self.sorted.iter_mut().zip(&entry.values) {
            index.insert(value.clone(), entry.created_at, &entry.id);
        }
        for part in &entry.parts {
            let index = self.parts.entry(part.clone()).or_default();
            index.insert(Value::Time(entry.created_at), entry.created_at, &entry.id);
        }
    }

    fn drop_entry(&mut self, entry: &Entry) {
        for (index, value) in self.sorted.iter_mut().zip(&entry.values) {
            index.remove(value, entry.created_at, &entry.id);
        }
        for part in &entry.parts {
            if let Some(index) = self.parts.get_mut(part) {
                index.remove(&Value::Time(entry.created_at), entry.created_at, &entry.id);
                if index.len == 0 {
                    self.parts.remove(part);
                }
            }
        }
    }
}

/// Every image record by id, with its indexes.
#[derive(Debug)]
pub(crate) struct Images {
    records: BTreeMap<String, Image>,
    indexes: Indexes,
}

impl Images {
    /// Indexes `records`.
    pub(crate) fn new(records: BTreeMap<String, Image>) -> Images {
        let mut indexes = Indexes::new();
        for image in records.values() {
            indexes.add(&Entry::of(image));
        }
        Images { records, indexes }
    }

    /// The image `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Image> {
        self.records.get(id)
    }

    /// The image `id` to change; it is re-indexed when the borrow ends.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<ImageMut<'_>> {
        let Images { records, indexes } = self;
        records.get_mut(id).map(|image| ImageMut {
            before: Entry::of(image),
            image,
            indexes,
        })
    }

    /// Whether an image `id` exists.
    pub(crate) fn contains_key(&self, id: &str) -> bool {
        self.records.contains_key(id)
    }

    /// Adds or replaces the image `id`.
    pub(crate) fn insert(&mut self, id: String, image: Image) {
        let entry = Entry::of(&image);
        if let Some(old) = self.records.insert(id, image) {
            self.indexes.drop_entry(&Entry::of(&old));
        }
        self.indexes.add(&entry);
    }

    /// Removes the image `id`.
    pub(crate) fn remove(&mut self, id: &str) -> Option<Image> {
        let image = self.records.remove(id)?;
        self.indexes.drop_entry(&Entry::of(&image));
        Some(image)
    }

    /// Forgets every image.
    pub(crate) fn clear(&mut self) {
        self.records.clear();
        self.indexes = Indexes::new();
    }

    /// Every image, by id.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Image> + Clone {
        self.records.values()
    }

    /// Every image id.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &String> {
        self.records.keys()
    }

    /// The images in the order `sort` (key, ascending) describes, starting just before
    /// `marker`'s place (the caller drops what does not come after it), or `None` when no
    /// index has that order (then only a scan can answer). `subsets` are conditions every
    /// listed image meets, each a union of parts: when the order is the default one, the
    /// walk goes through the smallest of them instead of every image.
    pub(crate) fn ordered<'a>(
        &'a self,
        sort: &[(String, bool)],
        subsets: &[Vec<Part>],
        marker: Option<&Image>,
    ) -> Option<Box<dyn Iterator<Item = &'a Image> + 'a>> {
        let key = sort.first()?.0.as_str();
        let dir = |i: usize| sort.get(i).map(|(_, asc)| *asc);
        let keys: Vec<&str> = sort.iter().map(|(k, _)| k.as_str()).collect();
        // Index levels: the key, created_at, id. An id is unique, so what follows it is moot.
        let asc = match keys.as_slice() {
            ["id", ..] => [dir(0)?; 3],
            ["created_at", "id", ..] => [dir(0)?, dir(0)?, dir(1)?],
            [_, "created_at", "id", ..] => [dir(0)?, dir(1)?, dir(2)?],
            _ => return None,
        };
        let position = SORT_KEYS.iter().position(|k| *k == key)?;
        let from = marker.map(|m| (value(m, key), m.created_at));
        let lookup = |id: &Arc<str>| &self.records[&**id];
        if key != "created_at" {
            let walk = self.indexes.sorted[position].walk(asc, from);
            return Some(Box::new(walk.map(lookup)));
        }
        let size = |parts: &Vec<Part>| -> usize {
            parts
                .iter()
                .map(|p| self.indexes.parts.get(p).map_or(0, |i| i.len))
                .sum()
        };
        let Some(smallest) = subsets
            .iter()
            .min_by_key(|parts| size(parts))
            .filter(|parts| size(parts) < self.records.len())
        else {
            let walk = self.indexes.sorted[position].walk(asc, from);
            return Some(Box::new(walk.map(lookup)));
        };
        let walks: Vec<_> = smallest
            .iter()
            .filter_map(|part| self.indexes.parts.get(part))
            .map(|index| {
                let walk: Box<dyn Iterator<Item = &Image>> =
                    Box::new(index.walk(asc, from.clone()).map(lookup));
                walk.peekable()
            })
            .collect();
        Some(Box::new(Merge { walks, asc }))
    }
}

impl std::ops::Index<&str> for Images {
    type Output = Image;

    fn index(&self, id: &str) -> &Image {
        &self.records[id]
    }
}

/// Walks of subsets in the same (created_at, id) order, merged without repeats.
struct Merge<'a> {
    walks: Vec<std::iter::Peekable<Box<dyn Iterator<Item = &'a Image> + 'a>>>,
    asc: [bool; 3],
}

impl<'a> Iterator for Merge<'a> {
    type Item = &'a Image;

    fn next(&mut self) -> Option<&'a Image> {
        let asc = self.asc;
        let order = |a: &&Image, b: &&Image| {
            let at = a.created_at.cmp(&b.created_at);
            let id = a.id.cmp(&b.id);
            let at = if asc[1] { at } else { at.reverse() };
            at.then(if asc[2] { id } else { id.reverse() })
        };
        let first = self
            .walks
            .iter_mut()
            .filter_map(|walk| walk.peek().copied())
            .min_by(order)?;
        for walk in &mut self.walks {
            walk.next_if(|image| image.id == first.id);
        }
        Some(first)
    }
}

/// A record being changed; re-indexed on drop when a sort key or subset changed.
pub(crate) struct ImageMut<'a> {
    image: &'a mut Image,
    indexes: &'a mut Indexes,
    before: Entry,
}

impl Deref for ImageMut<'_> {
    type Target = Image;

    fn deref(&self) -> &Image {
        self.image
    }
}

impl DerefMut for ImageMut<'_> {
    fn deref_mut(&mut self) -> &mut Image {
        self.image
    }
}

impl Drop for ImageMut<'_> {
    fn drop(&mut self) {
        let after = Entry::of(self.image);
        if after != self.before {
            self.indexes.drop_entry(&self.before);
            self.indexes.add(&after);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

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
    fn time_of(who: &Caller, images: &Images, query: &str) -> Duration {
        let query = parse_query(Some(query)).unwrap();
        let mut times: Vec<Duration> = (0..9)
            .map(|_| {
                let started = Instant::now();
                let (page, _) = select(who, images, &query).unwrap();
                assert!(!page.is_empty());
                started.elapsed()
            })
            .collect();
        times.sort();
        times[4]
    }

    /// The default list, a page after a marker, and the owner and visibility filters cost
    /// about a page's work: 100 times the images cost far less than 100 times the time (a
    /// scan of every image took about that).
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
            let at_small = time_of(who, &small, &query);
            let at_large = time_of(who, &large, &query);
            assert!(
                at_large < at_small * 10 + Duration::from_millis(2),
                "'{query}': {at_small:?} at 200 images, {at_large:?} at 20,000"
            );
        }
        let (m_small, m_large) = (marker(&small), marker(&large));
        let at_small = time_of(&admin, &small, &format!("marker={m_small}"));
        let at_large = time_of(&admin, &large, &format!("marker={m_large}"));
        assert!(at_large < at_small * 10 + Duration::from_millis(2));
    }
}
