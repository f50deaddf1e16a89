//! Byte offsets to 1-based line and column (columns count characters, not bytes).

#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based (line, column) of a byte offset; offsets past the end clamp to the end.
    pub fn line_col(&self, src: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(src.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line, col)
    }

    /// The text of a 1-based line, without its newline.
    pub fn line_text<'s>(&self, src: &'s str, line: usize) -> &'s str {
        let start = self
            .starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(src.len());
        let end = self
            .starts
            .get(line)
            .map_or(src.len(), |e| e.saturating_sub(1));
        src.get(start..end.max(start))
            .unwrap_or("")
            .trim_end_matches('\r')
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters() {
        let src = "规则 a\n  当 x\n";
        let li = LineIndex::new(src);
        assert_eq!(li.line_col(src, 0), (1, 1));
        let off = src.find('a').unwrap_or(0);
        assert_eq!(li.line_col(src, off), (1, 4));
        let off = src.find('x').unwrap_or(0);
        assert_eq!(li.line_col(src, off), (2, 5));
        assert_eq!(li.line_text(src, 2), "  当 x");
    }
}
