//! Data flows one way through the runner (docs/architecture.md): no top-level
//! module uses one that uses it back. Read from the sources as text: every
//! `crate::<module>` a module's non-test code names is an edge; any cycle fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[path = "../../atner/tests/support/module_graph.rs"]
mod module_graph;

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    module_graph::graph(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "crate::",
    )
}

#[test]
fn no_module_uses_one_that_uses_it_back() {
    let graph = graph();
    assert!(
        graph.len() > 10,
        "the runner's modules were found: {graph:?}"
    );
    let cycles = module_graph::cycles(&graph);
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

#[test]
fn no_command_uses_one_that_uses_it_back() {
    let commands = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
    let graph = module_graph::graph(&commands, "super::");
    assert!(
        graph.contains_key("data") && graph.contains_key("data_check"),
        "{graph:?}"
    );
    let cycles = module_graph::cycles(&graph);
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}
