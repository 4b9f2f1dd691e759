//! The bench's output: one table per section (figure | ours | peer | ratio), as markdown and as
//! JSON.

use serde_json::{Value, json};

/// What a figure measures, which decides how it is printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// Seconds (printed in ms below one second).
    Seconds,
    /// Milliseconds.
    Millis,
    /// Kibibytes (printed in MiB).
    Kib,
    /// Megabytes (10^6) per second.
    MegabytesPerSecond,
    /// Requests per second.
    PerSecond,
    /// A share, 0..1 (printed as a percentage).
    Share,
    /// A plain count.
    Count,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Millis => "ms",
            Unit::Kib => "KiB",
            Unit::MegabytesPerSecond => "MB/s",
            Unit::PerSecond => "req/s",
            Unit::Share => "share",
            Unit::Count => "count",
        }
    }

    fn format(self, v: f64) -> String {
        match self {
            Unit::Seconds if v < 1.0 => format!("{:.1} ms", v * 1e3),
            Unit::Seconds => format!("{v:.2} s"),
            Unit::Millis if v < 10.0 => format!("{v:.2} ms"),
            Unit::Millis => format!("{v:.1} ms"),
            Unit::Kib => format!("{:.1} MiB", v / 1024.0),
            Unit::MegabytesPerSecond => format!("{v:.0} MB/s"),
            Unit::PerSecond => format!("{v:.0}/s"),
            Unit::Share => format!("{:.0} %", v * 100.0),
            Unit::Count => format!("{v:.0}"),
        }
    }
}

/// One side of a row: a figure, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A measured value, in the row's unit.
    Value(f64),
    /// Not measured, and why (`fstack not built yet`, `skipped in --quick`).
    Absent(String),
}

impl Cell {
    fn value(&self) -> Option<f64> {
        match self {
            Cell::Value(v) => Some(*v),
            Cell::Absent(_) => None,
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Value(v) => json!(v),
            Cell::Absent(why) => json!({ "absent": why }),
        }
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Value(v)
    }
}

/// One figure, ours beside the peer's.
#[derive(Debug, Clone)]
pub struct Row {
    /// What is measured (`image list: wall time`).
    pub figure: String,
    /// Its unit.
    pub unit: Unit,
    /// Ours.
    pub ours: Cell,
    /// The peer's.
    pub peer: Cell,
}

impl Row {
    /// A row.
    pub fn new(figure: impl Into<String>, unit: Unit, ours: Cell, peer: Cell) -> Self {
        Self {
            figure: figure.into(),
            unit,
            ours,
            peer,
        }
    }

    /// ours / peer, when both were measured.
    pub fn ratio(&self) -> Option<f64> {
        match (self.ours.value(), self.peer.value()) {
            (Some(o), Some(p)) if p != 0.0 => Some(o / p),
            _ => None,
        }
    }

    fn cell(&self, cell: &Cell) -> String {
        match cell {
            Cell::Value(v) => self.unit.format(*v),
            Cell::Absent(why) => why.clone(),
        }
    }
}

/// A section: its table and what a reader must know to read it.
#[derive(Debug, Clone)]
pub struct Section {
    /// A short key for the JSON (`cli`, `upload`...).
    pub key: String,
    /// The heading.
    pub title: String,
    /// Who "ours" and "peer" are in this table.
    pub sides: (String, String),
    /// The figures.
    pub rows: Vec<Row>,
    /// Lines printed under the table (runs, bounds, causes).
    pub notes: Vec<String>,
}

impl Section {
    /// An empty section.
    pub fn new(key: &str, title: &str, ours: &str, peer: &str) -> Self {
        Self {
            key: key.to_owned(),
            title: title.to_owned(),
            sides: (ours.to_owned(), peer.to_owned()),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, figure: impl Into<String>, unit: Unit, ours: Cell, peer: Cell) {
        self.rows.push(Row::new(figure, unit, ours, peer));
    }

    /// Adds a note.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The section as markdown: a heading, the table, the notes.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "### {}\n\n| figure | ours ({}) | peer ({}) | ratio |\n|---|---:|---:|---:|\n",
            self.title, self.sides.0, self.sides.1
        );
        for row in &self.rows {
            let ratio = row.ratio().map_or_else(|| "—".to_owned(), format_ratio);
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                row.figure,
                row.cell(&row.ours),
                row.cell(&row.peer),
                ratio
            ));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                out.push_str(&format!("- {note}\n"));
            }
        }
        out
    }

    /// The section as JSON, values in the units named.
    pub fn json(&self) -> Value {
        json!({
            "key": self.key,
            "title": self.title,
            "ours": self.sides.0,
            "peer": self.sides.1,
            "rows": self.rows.iter().map(|r| json!({
                "figure": r.figure,
                "unit": r.unit.name(),
                "ours": r.ours.json(),
                "peer": r.peer.json(),
                "ratio": r.ratio(),
            })).collect::<Vec<_>>(),
            "notes": self.notes,
        })
    }
}

/// Ratios near one keep two decimals; small ones keep their first significant digits.
fn format_ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.0}×")
    } else if r >= 0.1 {
        format!("{r:.2}×")
    } else {
        format!("{r:.3}×")
    }
}

/// The whole report: a header line, then each section.
pub fn document(header: &str, sections: &[Section]) -> String {
    let mut out = format!("{header}\n");
    for section in sections {
        out.push('\n');
        out.push_str(&section.markdown());
    }
    out
}

/// The median of some samples (the mean of the middle two for an even count).
pub fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The `q` quantile (0..=1) of sorted samples, nearest rank.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_quantiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&sorted, 0.5), 50.0);
        assert_eq!(quantile(&sorted, 0.99), 99.0);
        assert_eq!(quantile(&sorted, 1.0), 100.0);
    }

    #[test]
    fn a_table_shows_absent_cells_and_ratios() {
        let mut s = Section::new("cli", "CLI", "fstack", "openstack");
        s.row("image list: wall", Unit::Seconds, 0.02.into(), 2.0.into());
        s.row(
            "token issue: wall",
            Unit::Seconds,
            Cell::Absent("fstack not built yet".into()),
            1.5.into(),
        );
        s.note("7 runs");
        let md = s.markdown();
        assert!(
            md.contains("| image list: wall | 20.0 ms | 2.00 s | 0.010× |"),
            "{md}"
        );
        assert!(md.contains("| fstack not built yet | 1.50 s | — |"), "{md}");
        assert!(md.ends_with("- 7 runs\n"), "{md}");
        let json = s.json();
        assert_eq!(json["rows"][1]["ours"]["absent"], "fstack not built yet");
        assert_eq!(json["rows"][0]["ratio"], 0.01);
    }
}
