//! The list and show flags (`-f`, `-c`, `--sort-column`, widths) applied to [`crate::output`],
//! and the result written to stdout.

use std::cmp::Ordering;
use std::io::{IsTerminal, Write};

use anyhow::{Context as _, Result};
use serde_json::Value;

use crate::args::{ListFormat, ListOutput, QuoteMode, ShowFormat, ShowOutput};
use crate::output::{self, Cell, Format, Options, Quote};

/// Prints a list (`openstack ... list`): `columns` names the cells of each row.
pub fn list(out: &ListOutput, columns: &[&str], mut rows: Vec<Vec<Cell>>) -> Result<()> {
    sort_rows(out, columns, &mut rows)?;
    let format = match out.format {
        ListFormat::Csv => Format::Csv,
        ListFormat::Json => Format::Json,
        ListFormat::Table => Format::Table,
        ListFormat::Value => Format::Value,
        ListFormat::Yaml => Format::Yaml,
    };
    let options = Options {
        columns: out.columns.clone(),
        max_width: max_width(out.max_width),
        fit_width: fit_width(out.fit_width),
        print_empty: out.print_empty,
        noindent: out.noindent,
        quote: match out.quote {
            QuoteMode::All => Quote::All,
            QuoteMode::Minimal => Quote::Minimal,
            QuoteMode::None => Quote::None,
            QuoteMode::Nonnumeric => Quote::Nonnumeric,
        },
        terminal_width: terminal_width(),
        ..Options::default()
    };
    write_stdout(&output::render_list(format, columns, &rows, &options)?)
}

/// Prints one item (`openstack ... show`): its fields in order.
pub fn one(out: &ShowOutput, fields: Vec<(&str, Cell)>) -> Result<()> {
    let format = match out.format {
        ShowFormat::Json => Format::Json,
        ShowFormat::Shell => Format::Shell,
        ShowFormat::Table => Format::Table,
        ShowFormat::Value => Format::Value,
        ShowFormat::Yaml => Format::Yaml,
    };
    let options = Options {
        columns: out.columns.clone(),
        max_width: max_width(out.max_width),
        fit_width: fit_width(out.fit_width),
        print_empty: out.print_empty,
        noindent: out.noindent,
        prefix: out.prefix.clone(),
        variables: out.variables.clone(),
        terminal_width: terminal_width(),
        ..Options::default()
    };
    write_stdout(&output::render_one(format, &fields, &options)?)
}

/// Writes to stdout; a closed pipe (`fstack image list | head -1`) is not an error.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

/// `--sort-column` (repeatable) with `--sort-ascending`/`--sort-descending`, as cliff sorts:
/// by the named columns in turn, on the values the machine formats carry.
fn sort_rows(out: &ListOutput, columns: &[&str], rows: &mut [Vec<Cell>]) -> Result<()> {
    if out.sort_columns.is_empty() {
        return Ok(());
    }
    let keys = out
        .sort_columns
        .iter()
        .map(|name| {
            columns.iter().position(|c| c == name).with_context(|| {
                format!(
                    "--sort-column {name}: no such column (choose from {})",
                    columns.join(", ")
                )
            })
        })
        .collect::<Result<Vec<usize>>>()?;
    rows.sort_by(|a, b| {
        keys.iter()
            .map(|&k| compare(&a[k].machine(), &b[k].machine()))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    if out.sort_descending {
        rows.reverse();
    }
    Ok(())
}

/// Numbers by value, everything else by its text; nulls first.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        _ => output::python_str(a).cmp(&output::python_str(b)),
    }
}

/// `--max-width`, or cliff's `CLIFF_MAX_TERM_WIDTH`.
fn max_width(flag: usize) -> usize {
    if flag > 0 {
        return flag;
    }
    std::env::var("CLIFF_MAX_TERM_WIDTH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// `--fit-width`, or cliff's `CLIFF_FIT_WIDTH=1`.
fn fit_width(flag: bool) -> bool {
    flag || std::env::var("CLIFF_FIT_WIDTH").is_ok_and(|v| v == "1" || v == "true")
}

/// The terminal's width when stdout is one (cliff fits tables to it), else none.
fn terminal_width() -> Option<usize> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    rustix::termios::tcgetwinsize(&stdout)
        .ok()
        .map(|size| usize::from(size.ws_col))
        .filter(|&w| w > 0)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};
    use crate::commands::image::args::ImageCommand;

    fn list_output(flags: &str) -> ListOutput {
        let cli = Cli::try_parse_from(
            ["fstack", "image", "list"]
                .into_iter()
                .chain(flags.split_whitespace()),
        )
        .unwrap();
        match cli.command {
            Command::Image {
                command: ImageCommand::List(l),
            } => l.output,
            _ => unreachable!(),
        }
    }

    fn rows() -> Vec<Vec<Cell>> {
        vec![
            vec![Cell::str("b"), Cell::json(2)],
            vec![Cell::str("a"), Cell::json(10)],
            vec![Cell::str("c"), Cell::Plain(Value::Null)],
        ]
    }

    #[test]
    fn sorts_by_the_named_column_both_ways() {
        let mut r = rows();
        sort_rows(
            &list_output("--sort-column Size"),
            &["Name", "Size"],
            &mut r,
        )
        .unwrap();
        let names: Vec<String> = r.iter().map(|row| row[0].human()).collect();
        assert_eq!(names, ["c", "b", "a"]);
        sort_rows(
            &list_output("--sort-column Name --sort-descending"),
            &["Name", "Size"],
            &mut r,
        )
        .unwrap();
        let names: Vec<String> = r.iter().map(|row| row[0].human()).collect();
        assert_eq!(names, ["c", "b", "a"]);
    }

    #[test]
    fn an_unknown_sort_column_is_named() {
        let err = sort_rows(&list_output("--sort-column Nope"), &["Name"], &mut rows())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--sort-column Nope") && err.contains("Name"),
            "{err}"
        );
    }
}
