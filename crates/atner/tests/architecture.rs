//! The model's modules follow the paper's sections and data flows one way
//! between them: no module uses one that uses it back (a helper both need
//! lives below both, as `bilstm::xavier` and `bilstm::dropout` do).

#[path = "support/module_graph.rs"]
mod module_graph;

#[test]
fn no_module_of_the_model_uses_one_that_uses_it_back() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph::graph(&src, "crate::");
    assert!(
        graph.contains_key("attention") && graph.contains_key("model"),
        "{graph:?}"
    );
    let cycles = module_graph::cycles(&graph);
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}
