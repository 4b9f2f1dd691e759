//! Tables as cliff prints them with prettytable: the box, the widths `--max-width` and
//! `--fit-width` allow, and the wrapping of Python's textwrap.

use std::fmt::Write as _;

use super::{Cell, Options};

/// A list as a table: only an empty line when there are no rows, unless `--print-empty`.
pub fn list_table(names: &[&str], rows: &[Vec<&Cell>], opts: &Options) -> String {
    if rows.is_empty() && !opts.print_empty {
        return "\n".into();
    }
    table(names, rows, opts, 8)
}

/// A prettytable-style box: header aligned like its column, one space of padding, cells
/// wrapped (textwrap-style) when a width limit applies.
pub fn table(names: &[&str], rows: &[Vec<&Cell>], opts: &Options, min_width: usize) -> String {
    let right: Vec<bool> = match rows.first() {
        Some(first) => first.iter().map(|c| c.right_aligned()).collect(),
        None => vec![false; names.len()],
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| c.human().replace("\r\n", "\n").replace('\r', " "))
                .collect()
        })
        .collect();
    let natural: Vec<usize> = (0..names.len())
        .map(|i| {
            cells
                .iter()
                .flat_map(|r| r[i].lines().map(|l| l.chars().count()))
                .chain(std::iter::once(names[i].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    // prettytable never narrows a column below its header.
    let limits: Vec<Option<usize>> = width_limits(&natural, opts, min_width)
        .into_iter()
        .zip(names)
        .map(|(limit, name)| limit.map(|l| l.max(name.chars().count())))
        .collect();
    let widths: Vec<usize> = natural
        .iter()
        .zip(&limits)
        .map(|(&n, l)| l.map_or(n, |l| n.min(l)))
        .collect();
    let border: String = {
        let mut s = String::from("+");
        for w in &widths {
            s.push_str(&"-".repeat(w + 2));
            s.push('+');
        }
        s.push('\n');
        s
    };
    let mut out = border.clone();
    let header: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    out += &table_row(&header, &widths, &right, &limits);
    out += &border;
    for r in &cells {
        out += &table_row(r, &widths, &right, &limits);
    }
    out += &border;
    out
}

fn table_row(
    cells: &[String],
    widths: &[usize],
    right: &[bool],
    limits: &[Option<usize>],
) -> String {
    let wrapped: Vec<Vec<String>> = cells
        .iter()
        .zip(limits)
        .map(|(c, limit)| {
            let lines: Vec<String> = c
                .split('\n')
                .flat_map(|l| match limit {
                    Some(w) => wrap(l, *w),
                    None => vec![l.to_owned()],
                })
                .collect();
            if lines.is_empty() {
                vec![String::new()]
            } else {
                lines
            }
        })
        .collect();
    let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
    let mut out = String::new();
    for line in 0..height {
        out.push('|');
        for (i, w) in widths.iter().enumerate() {
            let text = wrapped[i].get(line).map(String::as_str).unwrap_or("");
            let pad = w.saturating_sub(text.chars().count());
            if right[i] {
                let _ = write!(out, " {}{text} |", " ".repeat(pad));
            } else {
                let _ = write!(out, " {text}{} |", " ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}

/// cliff's `_assign_max_widths`: when the table is wider than the limit, the columns wider
/// than their fair share are shrunk, the last of them taking what is left.
fn width_limits(natural: &[usize], opts: &Options, min_width: usize) -> Vec<Option<usize>> {
    let none = vec![None; natural.len()];
    let term_width = if opts.max_width > 0 {
        opts.max_width
    } else if opts.fit_width || opts.terminal_width.is_some() {
        match opts.terminal_width {
            Some(w) => w,
            None => return none,
        }
    } else {
        return none;
    };
    let total: usize = natural.iter().map(|w| w + 3).sum::<usize>() + 1;
    if total <= term_width || natural.is_empty() {
        return none;
    }
    let usable = term_width.saturating_sub(1 + 3 * natural.len());
    let optimal = usable / natural.len();
    let mut remaining = usable as isize;
    let mut shrink = Vec::new();
    for (i, &w) in natural.iter().enumerate() {
        if w <= optimal {
            remaining -= w as isize;
        } else {
            shrink.push(i);
        }
    }
    let mut limits = none;
    if shrink.is_empty() {
        return limits;
    }
    let remaining_total = remaining.max(0) as usize;
    let share = remaining_total / shrink.len();
    let mut left = remaining_total;
    for &i in &shrink[..shrink.len() - 1] {
        limits[i] = Some(min_width.max(share));
        left = left.saturating_sub(share);
    }
    limits[*shrink.last().unwrap_or(&0)] = Some(min_width.max(left));
    limits
}

/// Python's `textwrap.wrap(text, width)`: greedy on whitespace, long words broken.
fn wrap(text: &str, width: usize) -> Vec<String> {
    if width == 0 || text.chars().count() <= width {
        return vec![text.to_owned()];
    }
    // Chunks: runs of non-space and runs of spaces, as textwrap splits them.
    let mut chunks: Vec<String> = Vec::new();
    for c in text.chars() {
        let space = c == ' ';
        match chunks.last_mut() {
            Some(last) if last.starts_with(' ') == space => last.push(c),
            _ => chunks.push(c.to_string()),
        }
    }
    chunks.reverse();
    let mut lines = Vec::new();
    while !chunks.is_empty() {
        let mut line: Vec<String> = Vec::new();
        let mut len = 0;
        // Drop leading whitespace of every line but the first.
        if !lines.is_empty() && chunks.last().is_some_and(|c| c.starts_with(' ')) {
            chunks.pop();
        }
        while let Some(chunk) = chunks.last() {
            let l = chunk.chars().count();
            if len + l <= width {
                len += l;
                line.push(chunks.pop().unwrap_or_default());
            } else {
                break;
            }
        }
        if let Some(chunk) = chunks.last()
            && chunk.chars().count() > width
        {
            let room = (width - len).max(if line.is_empty() { 1 } else { 0 });
            if room > 0 {
                let chunk = chunks.pop().unwrap_or_default();
                let head: String = chunk.chars().take(room).collect();
                let tail: String = chunk.chars().skip(room).collect();
                line.push(head);
                if !tail.is_empty() {
                    chunks.push(tail);
                }
            }
        }
        // Trailing whitespace is dropped.
        if line.last().is_some_and(|c| c.starts_with(' ')) {
            line.pop();
        }
        if line.is_empty() && chunks.is_empty() {
            break;
        }
        lines.push(line.concat());
    }
    lines
}
