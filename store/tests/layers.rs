//! The workspace's layering, read from the sources: no two modules of
//! `store` need each other (directly or round a circle), and in `app` the
//! server functions (`api`) never need the pages. A circle means a change to
//! one module can break any other in it, and that a new feature has no
//! obvious place to go; `ARCHITECTURE.md` gives the order the modules sit in.
//!
//! Test code is left out: a module's tests may use anything above it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `source` without comments, string and character literals, so braces and
/// paths inside them are not read as code.
fn code_only(source: &str) -> String {
    let b = source.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = source[i + 2..]
                    .find("*/")
                    .map_or(b.len(), |e| i + 2 + e + 2);
                i = end;
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                && !b[..i]
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') =>
            {
                let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let start = i + 2 + hashes;
                i = source[start..]
                    .find(&close)
                    .map_or(b.len(), |e| start + e + close.len());
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            // A character literal ('{', '\n'), not a lifetime ('a).
            b'\'' if b.get(i + 1) == Some(&b'\\') || b.get(i + 2) == Some(&b'\'') => {
                i += 2;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            }
            _ => {
                let ch = source[i..].chars().next().expect("inside the text");
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// `code` without the items marked `#[cfg(test)]`.
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        // The item ends at its first `;` outside braces, or where its body's
        // braces close.
        let mut depth = 0usize;
        let mut end = item.len();
        for (k, c) in item.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The names `code` reaches through `crate::` (a path, or a group
/// `crate::{a, b::c}`): the crate's top-level modules it depends on.
fn reached(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => {
                // Top-level names of the group only.
                let mut depth = 0usize;
                let mut names = Vec::new();
                let mut start = 0;
                for (k, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            names.push(&group[start..k]);
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            names.push(&group[start..k]);
                            start = k + 1;
                        }
                        _ => {}
                    }
                }
                names
            }
            None => vec![rest],
        };
        for name in names {
            let name: String = name
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&name) {
                out.insert(name);
            }
        }
    }
    out
}

/// Each top-level module of the crate at `src` (a file, or a folder with
/// its files) and the modules it depends on, tests left out.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(src).expect("a source folder") {
        let path = entry.expect("a readable entry").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a name")
            .to_string();
        if name == "lib" || name == "main" {
            continue;
        }
        let into = files.entry(name).or_default();
        if path.is_dir() {
            let mut stack = vec![path];
            while let Some(dir) = stack.pop() {
                for e in std::fs::read_dir(dir).expect("a folder") {
                    let p = e.expect("an entry").path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "rs") {
                        into.push(p);
                    }
                }
            }
        } else if path.extension().is_some_and(|x| x == "rs") {
            into.push(path);
        }
    }
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(name, paths)| {
            let mut deps = BTreeSet::new();
            for p in paths {
                let source = std::fs::read_to_string(p).expect("a readable source");
                deps.extend(reached(&without_tests(&code_only(&source)), &modules));
            }
            deps.remove(name);
            (name.clone(), deps)
        })
        .collect()
}

/// The circles in `graph`: each set of modules that all reach each other
/// (Tarjan's strongly connected components of more than one module).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, v: &'g str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    self.low.insert(v, self.low[v].min(self.low[w]));
                } else if self.stack.contains(&w) {
                    self.low.insert(v, self.low[v].min(self.index[w]));
                }
            }
            if self.low[v] == self.index[v] {
                let at = self
                    .stack
                    .iter()
                    .rposition(|x| *x == v)
                    .expect("on the stack");
                let circle: Vec<String> = self.stack.drain(at..).map(String::from).collect();
                if circle.len() > 1 {
                    self.found.push(circle);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

#[test]
fn no_two_store_modules_need_each_other() {
    let graph = graph(&crate_src("store"));
    assert!(graph.len() > 20, "the store's modules: {:?}", graph.keys());
    let found = circles(&graph);
    let shown: Vec<String> = found
        .iter()
        .map(|c| {
            c.iter()
                .map(|m| format!("{m} -> {:?}", graph[m]))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect();
    assert!(found.is_empty(), "modules in a circle: {shown:#?}");
}

#[test]
fn the_server_functions_never_need_the_pages() {
    let graph = graph(&crate_src("app"));
    assert!(graph["pages"].contains("api"), "{graph:?}");
    assert!(!graph["api"].contains("pages"), "{:?}", graph["api"]);
    assert_eq!(circles(&graph), Vec::<Vec<String>>::new(), "{graph:?}");
}

/// The reader itself: it must see what a circle is made of, or the tests
/// above pass for nothing.
#[test]
fn the_reader_finds_paths_and_circles_and_skips_tests_and_text() {
    let modules: BTreeSet<String> = ["a", "b", "c"].map(String::from).into();
    let source = r#"
        use crate::{a::X, b};
        // crate::c in a comment
        const S: &str = "crate::c in a string";
        fn f<'x>(v: &'x str) -> char { '{' }
        #[cfg(test)]
        mod tests { use crate::c; }
    "#;
    let deps = reached(&without_tests(&code_only(source)), &modules);
    assert_eq!(deps, ["a", "b"].map(String::from).into());
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, d)| (m.to_string(), d.into_iter().map(String::from).collect()))
    .collect();
    let mut found = circles(&graph);
    found.iter_mut().for_each(|c| c.sort());
    assert_eq!(found, vec![vec!["a", "b", "c"]]);
}
