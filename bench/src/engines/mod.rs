//! The engines under test. Every call into humiao is in [`humiao`], so a new evaluation API
//! changes one file.

pub mod humiao;
