//! The code's shape, checked: no import circles between files under `src/`, and every module
//! named in the maps a newcomer reads (`src/lib.rs`'s `# Layout`, `ARCHITECTURE.md`).
//!
//! An edge A → B means file A names a path into file B (`crate::x::y`, `super::z`, a `use`
//! group). Declaring a child module (`mod x;`) is not an edge, so a parent that only declares
//! its children and children that use their parent form no circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every `.rs` file under `src/` as its module path (`src/proxy/mod.rs` → `["proxy"]`).
fn modules(root: &Path) -> BTreeMap<Module, PathBuf> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().with_extension("");
                let mut parts: Module = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                    parts.pop();
                }
                out.insert(parts, path);
            }
        }
    }
    out
}

/// Source without `//` comments (doc links name modules without depending on them) and
/// without an inline `mod tests` (its `super::` means the file itself, and what tests use is
/// not what the module depends on).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]\nmod tests {").next().unwrap_or("");
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Paths that start at `crate`, `super` or `self`, with `use` groups expanded one level.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !ident(bytes[i - 1]);
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        if starts_word && ["crate::", "super::", "self::"].iter().any(|p| rest.starts_with(p)) {
            let mut j = i;
            while j < bytes.len() && (ident(bytes[j]) || bytes[j] == ':') {
                j += 1;
            }
            let prefix: String = bytes[i..j].iter().collect();
            let segs: Vec<String> = prefix.split("::").filter(|s| !s.is_empty()).map(String::from).collect();
            if j < bytes.len() && bytes[j] == '{' {
                let end = bytes[j..].iter().position(|&c| c == '}').map_or(bytes.len(), |p| j + p);
                let group: String = bytes[j + 1..end].iter().collect();
                for item in group.split(',') {
                    let item = item.split(" as ").next().unwrap_or("").trim();
                    if !item.is_empty() && !item.contains('{') {
                        let mut path = segs.clone();
                        path.extend(item.split("::").map(String::from));
                        out.push(path);
                    }
                }
            }
            out.push(segs);
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// The file a path lands in: the longest prefix that is a module file.
fn target(from: &Module, path: &[String], files: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    let mut full: Module = if path[0] == "crate" { Vec::new() } else { from.clone() };
    let mut rest = path;
    if rest[0] == "crate" {
        rest = &rest[1..];
    }
    while let Some(first) = rest.first() {
        match first.as_str() {
            "super" => {
                full.pop();
            }
            "self" => {}
            _ => break,
        }
        rest = &rest[1..];
    }
    full.extend(rest.iter().cloned());
    (1..=full.len()).rev().map(|n| full[..n].to_vec()).find(|m| files.contains_key(m))
}

fn import_graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let files = modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    files
        .iter()
        .map(|(module, path)| {
            let edges = paths_in(&code_of(path))
                .iter()
                .filter_map(|p| target(module, p, &files))
                .filter(|t| t != module)
                .collect();
            (module.clone(), edges)
        })
        .collect()
}

/// Strongly connected components with more than one file (Tarjan).
fn circles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a Module) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let Some((w, _)) = self.graph.get_key_value(w) else { continue };
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    component.push(w.join("/"));
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk =
        Walk { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for v in graph.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn no_file_under_src_imports_a_file_that_imports_it_back() {
    let found = circles(&import_graph());
    assert!(found.is_empty(), "import circles between files: {found:?}");
}

#[test]
fn the_circle_finder_finds_a_planted_circle() {
    let m = |s: &str| vec![s.to_string()];
    let graph = BTreeMap::from([
        (m("a"), BTreeSet::from([m("b")])),
        (m("b"), BTreeSet::from([m("c")])),
        (m("c"), BTreeSet::from([m("a")])),
        (m("d"), BTreeSet::from([m("a")])),
    ]);
    assert_eq!(circles(&graph), vec![vec!["a".to_string(), "b".into(), "c".into()]]);
    let files = BTreeMap::from([(vec!["proxy".to_string(), "pipe".into()], PathBuf::new())]);
    let paths = paths_in("use crate::proxy::{pipe::Meter, other};\nlet x = super::pipe::copy;");
    let hits: Vec<_> =
        paths.iter().filter_map(|p| target(&vec!["proxy".into(), "session".into()], p, &files)).collect();
    assert_eq!(hits.len(), 2, "{paths:?}");
}

#[test]
fn every_module_under_src_is_on_the_maps() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let layout: String = lib.lines().take_while(|l| l.starts_with("//!")).collect::<Vec<_>>().join("\n");
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut missing = Vec::new();
    for module in modules(&root.join("src")).keys() {
        if module.is_empty() || module == &["main"] || module.last().is_some_and(|m| m.ends_with("tests")) {
            continue;
        }
        if module.len() == 1 && !layout.contains(&format!("[`{}`]", module[0])) {
            missing.push(format!("src/lib.rs # Layout lacks [`{}`]", module[0]));
        }
        let path = module.join("/");
        if !architecture.contains(&format!("`{path}`")) {
            missing.push(format!("ARCHITECTURE.md lacks `{path}`"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_log_event_name_is_in_the_architecture_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut missing = BTreeSet::new();
    for path in modules(&root.join("src")).values() {
        let text = std::fs::read_to_string(path).unwrap();
        for part in text.split("event = \"").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_ascii_uppercase() || *c == '_').collect();
            if !name.is_empty() && !architecture.contains(&format!("| `{name}` |")) {
                missing.insert(name);
            }
        }
    }
    assert!(missing.is_empty(), "ARCHITECTURE.md's event table lacks {missing:?}");
}
