//! Data flows one way through the runner (docs/architecture.md): no top-level
//! module uses one that uses it back. Read from the sources as text: every
//! `crate::<module>` a module's non-test code names is an edge; any cycle fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Top-level module → the top-level modules its non-test code names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("inside src");
        let first = relative.components().next().expect("a file");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let edges = graph.entry(module.clone()).or_default();
        for used in code.split("crate::").skip(1) {
            let name: String = used
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != module {
                edges.insert(name);
            }
        }
    }
    graph
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(m) = stack.pop() {
        for next in graph.get(&m).into_iter().flatten() {
            if next == to {
                return true;
            }
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    false
}

#[test]
fn no_module_uses_one_that_uses_it_back() {
    let graph = graph();
    assert!(
        graph.len() > 10,
        "the runner's modules were found: {graph:?}"
    );
    let mut cycles = Vec::new();
    for (module, edges) in &graph {
        for used in edges {
            if reaches(&graph, used, module) {
                cycles.push(format!("{module} -> {used} -> … -> {module}"));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_pipeline_flows_from_config_to_report() {
    let graph = graph();
    // Each stage may read the ones before it, never the ones after.
    let stages = ["config", "spec", "plan", "execute", "store", "report"];
    for (i, stage) in stages.iter().enumerate() {
        for later in &stages[i + 1..] {
            if (*stage, *later) == ("execute", "store") {
                continue; // the executor writes the store: the one forward edge
            }
            assert!(
                !graph[*stage].contains(*later),
                "{stage} uses {later}, a later stage of the pipeline"
            );
        }
    }
}
