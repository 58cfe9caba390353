//! Markdown output: result tables and the target verdicts.

use std::fmt::Write as _;

/// One markdown table with a heading and a short note.
#[derive(Debug, Clone)]
pub struct Table {
    /// Heading (rendered as `###`).
    pub title: String,
    /// One or two sentences under the heading: what was measured and how.
    pub note: String,
    /// Column names.
    pub header: Vec<String>,
    /// Cells, row by row.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table.
    pub fn new(title: &str, note: &str, header: &[&str]) -> Self {
        Table {
            title: title.to_string(),
            note: note.to_string(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as markdown.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "### {}\n", self.title);
        if !self.note.is_empty() {
            let _ = writeln!(s, "{}\n", self.note);
        }
        let _ = writeln!(s, "| {} |", self.header.join(" | "));
        let _ = writeln!(
            s,
            "|{}",
            self.header.iter().map(|_| "---|").collect::<String>()
        );
        for r in &self.rows {
            let _ = writeln!(s, "| {} |", r.join(" | "));
        }
        s
    }
}

/// One target check: a measured figure against its limit.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Target number in PERFORMANCE.md.
    pub target: &'static str,
    /// What is checked.
    pub check: String,
    /// The measured figure (with its ratio where the target is a ratio).
    pub measured: String,
    /// The limit.
    pub limit: String,
    /// Whether the figure meets the limit.
    pub pass: bool,
}

/// One plotted series: its name and its samples in nanoseconds, ascending.
pub type Series = (String, Vec<u64>);

/// One plot panel: its title and its series.
pub type Panel = (String, Vec<Series>);

/// Everything a run produced.
#[derive(Debug, Default)]
pub struct Report {
    /// Result tables in run order.
    pub tables: Vec<Table>,
    /// Target verdicts in run order.
    pub verdicts: Vec<Verdict>,
    /// Distributions to plot: panel title, then (series name, sorted samples).
    pub panels: Vec<Panel>,
}

impl Report {
    /// Records a verdict.
    pub fn verdict(
        &mut self,
        target: &'static str,
        check: &str,
        measured: String,
        limit: &str,
        pass: bool,
    ) {
        self.verdicts.push(Verdict {
            target,
            check: check.to_string(),
            measured,
            limit: limit.to_string(),
            pass,
        });
    }

    /// The verdict table as markdown.
    pub fn verdicts_markdown(&self) -> String {
        let mut t = Table::new(
            "Targets",
            "Each check compares figures from this run only.",
            &["target", "check", "measured", "limit", "result"],
        );
        for v in &self.verdicts {
            t.row(vec![
                v.target.to_string(),
                v.check.clone(),
                v.measured.clone(),
                v.limit.clone(),
                if v.pass { "pass" } else { "**FAIL**" }.to_string(),
            ]);
        }
        t.markdown()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_table_and_verdicts() {
        let mut t = Table::new("T", "note", &["a", "b"]);
        t.row(vec!["1".into(), "2".into()]);
        assert_eq!(
            t.markdown(),
            "### T\n\nnote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
            "table layout"
        );
        let mut r = Report::default();
        r.verdict("1", "check", "0.5×".into(), "≤ 1×", true);
        r.verdict("2", "other", "3×".into(), "≤ 1×", false);
        let v = r.verdicts_markdown();
        assert!(
            v.contains("| 1 | check | 0.5× | ≤ 1× | pass |"),
            "passing verdict row: {v}"
        );
        assert!(
            v.contains("| 2 | other | 3× | ≤ 1× | **FAIL** |"),
            "failing verdict row: {v}"
        );
    }
}
