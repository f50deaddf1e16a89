//! The humiao policy language: the pest grammar (`humiao.pest`), the syntax tree with spans,
//! and syntax errors described in English and Chinese. This crate knows nothing about what
//! names mean or how rules evaluate; `humiao-core` does.
//!
//! Parsing never fails as a whole: [`parse`] returns every declaration it could read and every
//! syntax error it found, so an editor can keep working on a half-typed file.

pub mod ast;
#[cfg(feature = "direct")]
mod direct;
pub mod error;
pub mod keywords;
mod lines;
mod parse;

pub use error::{SyntaxError, SyntaxErrorKind};
pub use lines::LineIndex;
#[doc(hidden)]
#[cfg(feature = "direct")]
pub use parse::direct_coverage;
#[doc(hidden)]
pub use parse::parse_file_with_pest;
pub use parse::{depth as expr_depth, is_only_comments, parse_file as parse, ParseOptions};

#[derive(pest_derive::Parser)]
#[grammar = "humiao.pest"]
pub(crate) struct HumiaoParser;
