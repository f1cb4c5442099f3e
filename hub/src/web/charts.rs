//! Charts drawn as inline SVG by the hub (no scripts, no images to fetch): a line over
//! months, bars over months, and a group's network as a ring of members with their ties.
//! Colours and sizes are attributes, not styles, so the strict CSP holds.

use super::html::esc;
use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 52.0;
const BOTTOM: f64 = 40.0;
const TOP: f64 = 26.0;
const INK: &str = "#111111";
const LINE: &str = "#0d3b66";
const GRID: &str = "#bbbbbb";

/// The month as a short label: `2026-11` → `11/26`.
fn short(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) => format!("{m}/{}", y.get(2..).unwrap_or(y)),
        None => month.to_owned(),
    }
}

/// A nice top for the axis: at least `max`, a whole number, never 0.
fn axis_top(max: f64) -> f64 {
    max.ceil().max(1.0)
}

fn frame(out: &mut String, title: &str, months: &[String], top: f64) {
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" aria-label=\"{0}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{0}</title>",
        esc(title)
    );
    let plot_h = H - TOP - BOTTOM;
    for step in 0..=2 {
        let value = top * f64::from(step) / 2.0;
        let y = TOP + plot_h - plot_h * f64::from(step) / 2.0;
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{W}\" y2=\"{y:.1}\" stroke=\"{GRID}\" stroke-width=\"1\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"18\" text-anchor=\"end\" fill=\"{INK}\">{}</text>",
            LEFT - 6.0,
            y + 4.0,
            if value.fract() == 0.0 {
                format!("{value:.0}")
            } else {
                format!("{value:.1}")
            }
        );
    }
    let n = months.len().max(1) as f64;
    for (i, m) in months.iter().enumerate() {
        let x = LEFT + (W - LEFT) * (i as f64 + 0.5) / n;
        let _ = write!(
            out,
            "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"18\" text-anchor=\"middle\" fill=\"{INK}\">{}</text>",
            H - 12.0,
            esc(&short(m))
        );
    }
}

/// A line over months, with a dot and its value at every month.
pub fn line(title: &str, months: &[String], values: &[f64]) -> String {
    let top = axis_top(values.iter().copied().fold(0.0, f64::max));
    let mut out = String::new();
    frame(&mut out, title, months, top);
    let n = months.len().max(1) as f64;
    let plot_h = H - TOP - BOTTOM;
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (
                LEFT + (W - LEFT) * (i as f64 + 0.5) / n,
                TOP + plot_h - plot_h * v / top,
            )
        })
        .collect();
    let path: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let _ = write!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{LINE}\" stroke-width=\"3\"/>",
        path.join(" ")
    );
    for ((x, y), v) in points.iter().zip(values) {
        let _ = write!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{LINE}\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"17\" text-anchor=\"middle\" fill=\"{INK}\">{v:.1}</text>",
            y - 8.0
        );
    }
    out.push_str("</svg>");
    out
}

/// Bars over months, each with its count.
pub fn bars(title: &str, months: &[String], values: &[u32]) -> String {
    let top = axis_top(f64::from(values.iter().copied().max().unwrap_or(0)));
    let mut out = String::new();
    frame(&mut out, title, months, top);
    let n = months.len().max(1) as f64;
    let plot_h = H - TOP - BOTTOM;
    let slot = (W - LEFT) / n;
    for (i, v) in values.iter().enumerate() {
        let h = plot_h * f64::from(*v) / top;
        let x = LEFT + slot * i as f64 + slot * 0.2;
        let y = TOP + plot_h - h;
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{LINE}\"/>",
            slot * 0.6
        );
        if *v > 0 {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"17\" text-anchor=\"middle\" fill=\"{INK}\">{v}</text>",
                x + slot * 0.3,
                y - 4.0
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A group's network: members on a ring, a solid line where two members wrote to each
/// other, a dashed one where they are contacts but did not write.
pub fn network(title: &str, labels: &[String], ties: &[(usize, usize, bool)]) -> String {
    let size = 420.0;
    let (cx, cy, r) = (size / 2.0, size / 2.0, size / 2.0 - 70.0);
    let n = labels.len().max(1) as f64;
    let at = |i: usize| {
        let angle = std::f64::consts::TAU * i as f64 / n - std::f64::consts::FRAC_PI_2;
        (cx + r * angle.cos(), cy + r * angle.sin())
    };
    let mut out = format!(
        "<svg class=\"graph\" viewBox=\"0 0 {size} {size}\" width=\"100%\" role=\"img\" aria-label=\"{0}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{0}</title>",
        esc(title)
    );
    for (a, b, wrote) in ties {
        if *a >= labels.len() || *b >= labels.len() {
            continue;
        }
        let ((x1, y1), (x2, y2)) = (at(*a), at(*b));
        let dash = if *wrote {
            ""
        } else {
            " stroke-dasharray=\"6 5\""
        };
        let _ = write!(
            out,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{LINE}\" stroke-width=\"3\"{dash}/>"
        );
    }
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = at(i);
        let below = if y >= cy { 30.0 } else { -18.0 };
        let _ = write!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"11\" fill=\"#f2c500\" stroke=\"{INK}\" stroke-width=\"2\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"20\" text-anchor=\"middle\" fill=\"{INK}\">{}</text>",
            y + below,
            esc(label)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_their_values_and_escaped_labels() {
        let months: Vec<String> = ["2026-11", "2026-12"].map(String::from).to_vec();
        let svg = line("Different people <written to>", &months, &[0.5, 2.0]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(
            svg.contains("11/26") && svg.contains(">2.0<") && svg.contains("&lt;written to&gt;")
        );
        assert!(
            !svg.contains("style="),
            "no inline styles: the CSP forbids them"
        );
        let svg = bars("New ties", &months, &[0, 3]);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(">3<"));
        let svg = network(
            "Oost",
            &["Jan".into(), "<Anna>".into(), "Mia".into()],
            &[(0, 1, true), (1, 2, false)],
        );
        assert_eq!(svg.matches("<line").count(), 2);
        assert_eq!(
            svg.matches("stroke-dasharray").count(),
            1,
            "one tie without messages"
        );
        assert!(svg.contains("&lt;Anna&gt;") && !svg.contains("<Anna>"));
    }
}
