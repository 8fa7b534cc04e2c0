//! The engine's modules depend on each other one way: no two of them import each other, directly or through
//! others (read from the `crate::…` paths in `src/`, comments left out).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::repo;

/// Top-level module → the top-level modules its code names.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut visit = |module: &str, path: &Path| {
        let text = std::fs::read_to_string(path).unwrap();
        let uses = graph.entry(module.to_string()).or_default();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for part in line.split("crate::").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    uses.insert(name);
                }
            }
        }
    };
    for entry in walk(&src) {
        let rel = entry.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module != "lib" && module != "main" {
            visit(&module, &entry);
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for uses in graph.values_mut() {
        uses.retain(|u| modules.contains(u));
    }
    graph
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// A loop through `from`, if there is one.
fn loop_through(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in graph.get(last).into_iter().flatten() {
            if next == from {
                let mut cycle = path.clone();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_module_of_the_engine_imports_itself_through_others() {
    let graph = imports();
    for core in [
        "store", "sql", "server", "remote", "pipeline", "backend", "blocking", "wire",
    ] {
        assert!(graph.contains_key(core), "no module {core}: {graph:?}");
    }
    let loops: Vec<String> = graph
        .keys()
        .filter_map(|m| loop_through(&graph, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
    // The data plane names no SQL, and the client side of the wire never the server's.
    assert!(!graph["store"].contains("sql"), "{:?}", graph["store"]);
    assert!(!graph["remote"].contains("server"), "{:?}", graph["remote"]);
    assert!(!graph["wire"].contains("server") && !graph["wire"].contains("remote"));
}
