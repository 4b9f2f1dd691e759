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

#[cfg(test)]
thread_local! {
    /// Records the indexes handed out on this thread: what a list costs, for the tests.
    static LOOKED_AT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
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
        // Counted in tests too: a list that falls back to a scan pays for every image.
        self.records.values().inspect(|_| {
            #[cfg(test)]
            LOOKED_AT.with(|n| n.set(n.get() + 1));
        })
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
        let lookup = |id: &Arc<str>| {
            #[cfg(test)]
            LOOKED_AT.with(|n| n.set(n.get() + 1));
            &self.records[&**id]
        };
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
mod tests;
