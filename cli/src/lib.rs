//! The `humiao` command-line tool's reusable parts: reading a policy folder from disk (the
//! only place the project touches the file system, so the core stays pure) and the
//! human-readable renderings. The Python binding reuses `load`.

pub mod human;
pub mod load;
