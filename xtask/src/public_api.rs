//! `cargo xtask public-api [--bless]`: the public surface of `ferrostack` and `mock-cloud`,
//! one line per item, and its diff against the committed baseline
//! (`crates/ferrostack/public-api.txt`, `mock-cloud/public-api.txt`). A report, not a test:
//! a difference is printed, never a failure; `--bless` rewrites the baselines.
//!
//! The listing is read from rustdoc's JSON, which stable rustdoc writes with
//! `RUSTC_BOOTSTRAP=1` (`-Z unstable-options --output-format json`); no tool is installed.
//! Each line is `kind path` (functions and methods with their parameters and return type),
//! sorted, so the diff of two listings is a set difference.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use xtask::{cargo, step, target_dir, workspace_root};

/// The crates whose surface is reported: (package, library name, baseline file).
const CRATES: &[(&str, &str, &str)] = &[
    (
        "ferrostack",
        "ferrostack",
        "crates/ferrostack/public-api.txt",
    ),
    ("mock-cloud", "mock_cloud", "mock-cloud/public-api.txt"),
];

/// Prints each crate's surface and its diff to the baseline.
pub fn run(args: &[String]) -> Result<()> {
    let mut bless = false;
    for arg in args {
        match arg.as_str() {
            "--bless" => bless = true,
            other => bail!("public-api: unknown argument `{other}` (expected --bless)"),
        }
    }
    for (package, lib, baseline) in CRATES {
        let lines = listing(package, lib)?;
        let baseline_path = workspace_root().join(baseline);
        println!("\n## {package}: {} public items", lines.len());
        let current = lines.join("\n") + "\n";
        match std::fs::read_to_string(&baseline_path) {
            Ok(old) => {
                let old: BTreeSet<&str> = old.lines().collect();
                let new: BTreeSet<&str> = lines.iter().map(String::as_str).collect();
                let removed: Vec<_> = old.difference(&new).collect();
                let added: Vec<_> = new.difference(&old).collect();
                if removed.is_empty() && added.is_empty() {
                    println!("same as {baseline}");
                } else {
                    println!(
                        "against {baseline}: {} removed, {} added",
                        removed.len(),
                        added.len()
                    );
                    for line in removed {
                        println!("- {line}");
                    }
                    for line in added {
                        println!("+ {line}");
                    }
                }
            }
            Err(_) => println!("{baseline} is missing: `cargo xtask public-api --bless` writes it"),
        }
        if bless {
            std::fs::write(&baseline_path, &current)
                .with_context(|| format!("writing {}", baseline_path.display()))?;
            println!("wrote {baseline}");
        }
    }
    Ok(())
}

/// The sorted public items of `package` (library `lib`), from its rustdoc JSON.
fn listing(package: &str, lib: &str) -> Result<Vec<String>> {
    step(format!(
        "rustdoc JSON of {package} (RUSTC_BOOTSTRAP=1 cargo rustdoc -p {package} --lib -- \
         -Z unstable-options --output-format json)"
    ));
    xtask::run(
        cargo()
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["rustdoc", "-p", package, "--lib", "--"])
            .args(["-Z", "unstable-options", "--output-format", "json"]),
    )?;
    let path: PathBuf = target_dir().join("doc").join(format!("{lib}.json"));
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("rustdoc wrote no {}", path.display()))?;
    let doc: Value = serde_json::from_str(&text).context("rustdoc JSON")?;
    let mut lines = BTreeSet::new();
    let root = doc["root"].to_string();
    let mut seen = HashSet::new();
    walk(&doc, &root, lib, &mut lines, &mut seen);
    Ok(lines.into_iter().collect())
}

/// The item `id` of the crate's index, as `kind path`, and what it contains.
fn walk(doc: &Value, id: &str, path: &str, out: &mut BTreeSet<String>, seen: &mut HashSet<String>) {
    let Some(item) = doc["index"].get(id) else {
        return;
    };
    if !seen.insert(format!("{id} {path}")) {
        return;
    }
    let Some((kind, inner)) = item["inner"].as_object().and_then(|o| o.iter().next()) else {
        return;
    };
    match kind.as_str() {
        "module" => {
            out.insert(format!("mod {path}"));
            for child in inner["items"].as_array().into_iter().flatten() {
                let child_id = child.to_string();
                let Some(child_item) = doc["index"].get(&child_id) else {
                    continue;
                };
                if child_item["visibility"] != "public" {
                    continue;
                }
                if let Some(reexport) = child_item["inner"].get("use") {
                    let name = reexport["name"].as_str().unwrap_or("_");
                    match reexport["id"].as_u64() {
                        Some(target) if doc["index"].get(target.to_string()).is_some() => {
                            if reexport["is_glob"] == true {
                                walk_glob(doc, &target.to_string(), path, out, seen);
                            } else {
                                walk(
                                    doc,
                                    &target.to_string(),
                                    &format!("{path}::{name}"),
                                    out,
                                    seen,
                                );
                            }
                        }
                        _ => {
                            let source = reexport["source"].as_str().unwrap_or("?");
                            out.insert(format!("use {path}::{name} = {source}"));
                        }
                    }
                    continue;
                }
                let name = child_item["name"].as_str().unwrap_or("_");
                walk(doc, &child_id, &format!("{path}::{name}"), out, seen);
            }
        }
        "struct" => {
            out.insert(format!("struct {path}{}", generics(&inner["generics"])));
            if let Some(fields) = inner["kind"]["plain"]["fields"].as_array() {
                for field in fields {
                    field_line(doc, &field.to_string(), path, out);
                }
            }
            impls(doc, &inner["impls"], path, out);
        }
        "enum" => {
            out.insert(format!("enum {path}{}", generics(&inner["generics"])));
            for variant in inner["variants"].as_array().into_iter().flatten() {
                if let Some(v) = doc["index"].get(variant.to_string()) {
                    out.insert(format!(
                        "variant {path}::{}",
                        v["name"].as_str().unwrap_or("_")
                    ));
                }
            }
            impls(doc, &inner["impls"], path, out);
        }
        "trait" => {
            out.insert(format!("trait {path}"));
            for child in inner["items"].as_array().into_iter().flatten() {
                if let Some(m) = doc["index"].get(child.to_string()) {
                    let name = m["name"].as_str().unwrap_or("_");
                    out.insert(format!("trait-item {path}::{name}"));
                }
            }
        }
        "function" => {
            out.insert(format!("fn {path}{}", signature(&inner["sig"])));
        }
        "constant" | "static" => {
            out.insert(format!("{kind} {path}: {}", ty(&inner["type"])));
        }
        "type_alias" => {
            out.insert(format!("type {path} = {}", ty(&inner["type"])));
        }
        "macro" | "proc_macro" | "union" | "trait_alias" => {
            out.insert(format!("{kind} {path}"));
        }
        _ => {}
    }
}

/// The public items of the module `id`, as if they were declared in `path` (`pub use m::*`).
fn walk_glob(
    doc: &Value,
    id: &str,
    path: &str,
    out: &mut BTreeSet<String>,
    seen: &mut HashSet<String>,
) {
    let Some(items) = doc["index"][id]["inner"]["module"]["items"].as_array() else {
        return;
    };
    for child in items {
        let child_id = child.to_string();
        let child_item = &doc["index"][&child_id];
        if child_item["visibility"] == "public" {
            let name = child_item["name"].as_str().unwrap_or("_");
            walk(doc, &child_id, &format!("{path}::{name}"), out, seen);
        }
    }
}

fn field_line(doc: &Value, id: &str, path: &str, out: &mut BTreeSet<String>) {
    let field = &doc["index"][id];
    if field["visibility"] == "public" {
        let name = field["name"].as_str().unwrap_or("_");
        out.insert(format!(
            "field {path}::{name}: {}",
            ty(&field["inner"]["struct_field"])
        ));
    }
}

/// The inherent methods and the trait impls of a type.
fn impls(doc: &Value, ids: &Value, path: &str, out: &mut BTreeSet<String>) {
    for id in ids.as_array().into_iter().flatten() {
        let item = &doc["index"][id.to_string()];
        let imp = &item["inner"]["impl"];
        if imp["is_synthetic"] == true || !imp["blanket_impl"].is_null() {
            continue;
        }
        if let Some(name) = imp["trait"]["path"].as_str() {
            out.insert(format!("impl {name} for {path}"));
            continue;
        }
        for method in imp["items"].as_array().into_iter().flatten() {
            let m = &doc["index"][method.to_string()];
            if m["visibility"] != "public" {
                continue;
            }
            let name = m["name"].as_str().unwrap_or("_");
            match m["inner"].get("function") {
                Some(f) => out.insert(format!("fn {path}::{name}{}", signature(&f["sig"]))),
                None => out.insert(format!("assoc {path}::{name}")),
            };
        }
    }
}

fn generics(generics: &Value) -> String {
    let params: Vec<&str> = generics["params"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    if params.is_empty() {
        String::new()
    } else {
        format!("<{}>", params.join(", "))
    }
}

/// `(name: Type, ...) -> Output`.
fn signature(sig: &Value) -> String {
    let inputs: Vec<String> = sig["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|pair| {
            let name = pair[0].as_str().unwrap_or("_");
            let t = ty(&pair[1]);
            if name == "self" {
                t
            } else {
                format!("{name}: {t}")
            }
        })
        .collect();
    let output = if sig["output"].is_null() {
        String::new()
    } else {
        format!(" -> {}", ty(&sig["output"]))
    };
    format!("({}){output}", inputs.join(", "))
}

/// A type, written about as in Rust (best effort: unusual forms become `_`).
fn ty(t: &Value) -> String {
    let Some((kind, v)) = t.as_object().and_then(|o| o.iter().next()) else {
        return "_".to_owned();
    };
    match kind.as_str() {
        "primitive" | "generic" => v.as_str().unwrap_or("_").to_owned(),
        "resolved_path" => {
            let name = v["path"].as_str().unwrap_or("_");
            let args: Vec<String> = v["args"]["angle_bracketed"]["args"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.get("type").map(ty))
                .collect();
            if args.is_empty() {
                name.to_owned()
            } else {
                format!("{name}<{}>", args.join(", "))
            }
        }
        "borrowed_ref" => {
            let mutable = if v["is_mutable"] == true { "mut " } else { "" };
            if v["type"]["generic"] == "Self" {
                format!("&{mutable}self")
            } else {
                format!("&{mutable}{}", ty(&v["type"]))
            }
        }
        "tuple" => {
            let parts: Vec<String> = v.as_array().into_iter().flatten().map(ty).collect();
            format!("({})", parts.join(", "))
        }
        "slice" => format!("[{}]", ty(v)),
        "array" => format!("[{}; {}]", ty(&v["type"]), v["len"].as_str().unwrap_or("_")),
        "impl_trait" | "dyn_trait" => {
            let bounds = if kind == "impl_trait" {
                v.clone()
            } else {
                v["traits"].clone()
            };
            let names: Vec<&str> = bounds
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| {
                    b["trait_bound"]["trait"]["path"]
                        .as_str()
                        .or_else(|| b["trait"]["path"].as_str())
                })
                .collect();
            let word = if kind == "impl_trait" { "impl" } else { "dyn" };
            format!("{word} {}", names.join(" + "))
        }
        "qualified_path" => format!(
            "{}::{}",
            ty(&v["self_type"]),
            v["name"].as_str().unwrap_or("_")
        ),
        _ => "_".to_owned(),
    }
}
