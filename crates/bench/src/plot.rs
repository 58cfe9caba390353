//! A hand-written SVG of latency distributions: one panel per scenario, one
//! cumulative-distribution curve per implementation, log-scaled time axis
//! and a tail-stretching percentile axis,
//! so both the median and the p99 can be read off.

use crate::report::{Panel, Series};
use std::fmt::Write as _;

const COLORS: [&str; 10] = [
    "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f",
    "#bcbd22", "#e377c2",
];
const PANEL_W: f64 = 900.0;
const PANEL_H: f64 = 300.0;
const LEFT: f64 = 60.0;
const PLOT_W: f64 = 470.0;
const TOP: f64 = 40.0;
const PLOT_H: f64 = 220.0;

/// Renders the panels (title, series of (name, ascending ns samples)).
pub fn svg(panels: &[Panel]) -> String {
    let height = PANEL_H * panels.len().max(1) as f64 + 20.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{PANEL_W}" height="{height}" viewBox="0 0 {PANEL_W} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (i, (title, series)) in panels.iter().enumerate() {
        panel(&mut s, i as f64 * PANEL_H + 10.0, title, series);
    }
    s.push_str("</svg>\n");
    s
}

fn panel(s: &mut String, y0: f64, title: &str, series: &[Series]) {
    // Axis range: decades covering the 1st..99.9th percentiles of all series.
    let mut lo = f64::INFINITY;
    let mut hi: f64 = 0.0;
    for (_, v) in series.iter().filter(|(_, v)| !v.is_empty()) {
        lo = lo.min(v[v.len() / 100] as f64);
        hi = hi.max(v[(v.len() * 999 / 1000).min(v.len() - 1)] as f64);
    }
    if !lo.is_finite() {
        lo = 100.0;
        hi = 1e6;
    }
    let dlo = lo.max(10.0).log10().floor();
    let dhi = hi.max(lo * 10.0).log10().ceil().max(dlo + 1.0);
    let x = |ns: f64| LEFT + (ns.max(1.0).log10() - dlo) / (dhi - dlo) * PLOT_W;
    // Linear in q plus -log10(1 - q): the body keeps some height while the
    // tail is stretched (50 % at a quarter, 99 % at four fifths, 99.9 % on top).
    let tail = |q: f64| {
        let q = q.min(0.999);
        (-(1.0 - q).log10() + 2.0 * q) / (3.0 + 2.0 * 0.999)
    };
    let y = |q: f64| y0 + TOP + (1.0 - tail(q)) * PLOT_H;
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="{}" font-size="14" font-weight="bold">{}</text>"#,
        y0 + 20.0,
        escape(title)
    );
    // Frame, grid and labels.
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{}" width="{PLOT_W}" height="{PLOT_H}" fill="none" stroke="#333"/>"##,
        y0 + TOP
    );
    for q in [0.0, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999] {
        let yy = y(q);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{}" y2="{yy:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}%</text>"##,
            LEFT + PLOT_W,
            LEFT - 4.0,
            yy + 4.0,
            (q * 1000.0).round() / 10.0
        );
    }
    let mut d = dlo;
    while d <= dhi + 1e-9 {
        let ns = 10f64.powf(d);
        let xx = x(ns);
        let label = if ns < 1000.0 {
            format!("{} ns", ns)
        } else if ns < 1e6 {
            format!("{} µs", ns / 1e3)
        } else if ns < 1e9 {
            format!("{} ms", ns / 1e6)
        } else {
            format!("{} s", ns / 1e9)
        };
        let _ = writeln!(
            s,
            r##"<line x1="{xx:.1}" y1="{:.1}" x2="{xx:.1}" y2="{:.1}" stroke="#ddd"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle">{label}</text>"##,
            y0 + TOP,
            y0 + TOP + PLOT_H,
            y0 + TOP + PLOT_H + 16.0
        );
        d += 1.0;
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">time (log scale); y: percentile of samples at or below</text>"#,
        LEFT + PLOT_W / 2.0,
        y0 + TOP + PLOT_H + 32.0
    );
    // One cumulative curve per series, legend on the right with the median.
    for (i, (name, v)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        if !v.is_empty() {
            let mut pts = String::new();
            let steps = 300;
            // Points evenly spaced in q and dense in the tail, in order.
            let mut qs: Vec<f64> = (0..=steps)
                .flat_map(|k| {
                    let f = k as f64 / steps as f64;
                    [f * 0.999, 1.0 - 10f64.powf(-3.0 * f)]
                })
                .collect();
            qs.sort_by(f64::total_cmp);
            for q in qs {
                let idx = ((q * v.len() as f64) as usize).min(v.len() - 1);
                let _ = write!(pts, "{:.1},{:.1} ", x(v[idx] as f64), y(q));
            }
            let _ = writeln!(
                s,
                r#"<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.6"/>"#
            );
        }
        let ly = y0 + TOP + 10.0 + i as f64 * 18.0;
        let lx = LEFT + PLOT_W + 15.0;
        let median = v.get(v.len() / 2).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="3"/><text x="{}" y="{}">{} ({:.2} µs)</text>"#,
            lx + 18.0,
            lx + 24.0,
            ly + 4.0,
            escape(name),
            median as f64 / 1000.0
        );
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_curve_and_legend_entry_per_series() {
        let panels = vec![(
            "a <panel>".to_string(),
            vec![
                ("x".to_string(), (1..=1000).map(|v| v * 100).collect()),
                ("y".to_string(), Vec::new()),
            ],
        )];
        let s = svg(&panels);
        assert!(
            s.starts_with("<svg") && s.trim_end().ends_with("</svg>"),
            "a whole SVG document"
        );
        assert_eq!(
            s.matches("<polyline").count(),
            1,
            "one curve for the non-empty series only"
        );
        assert!(s.contains("a &lt;panel&gt;"), "titles are escaped");
        assert!(s.contains(">x (50.10 µs)<"), "legend carries the median");
    }
}
