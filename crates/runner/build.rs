//! Sets an rpath to libtorch's shared libraries so that test binaries start
//! without LD_LIBRARY_PATH (see scripts/setup.sh).
include!("../../scripts/rpath.rs");
