//! Charts drawn as inline SVG by the hub (no scripts, no images to fetch), as maud
//! templates that escape every label: a line over months or rounds, bars over months,
//! and a group's network as a ring of members with their ties. Each has a title, axis
//! titles with their unit, and words ("too few", "no data") where a value is withheld or
//! missing — never a 0 that was not counted. A `viewBox` and `width="100%"` let them
//! shrink to a phone's width; colours and sizes are attributes, not styles, so the strict
//! CSP holds. Every element is closed (`{}`): inside HTML an unclosed SVG element would
//! swallow the ones after it.

use super::lang::{self, t};
use crate::domain::evaluation::Figure;
use maud::{Markup, html};
use nabij_protocol::Language;

const W: f64 = 400.0;
const H: f64 = 250.0;
const LEFT: f64 = 58.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 62.0;
const INK: &str = "#111111";
const LINE: &str = "#0d3b66";
const GRID: &str = "#bbbbbb";
const MUTED: &str = "#444444";

/// A place on the horizontal axis: a month or a round, in one or two short lines.
#[derive(Debug, Clone)]
pub struct Slot {
    /// The first line (`mrt`, `Start`).
    pub label: String,
    /// The second line, if any (the year).
    pub under: Option<String>,
}

/// What the axes say.
#[derive(Debug, Clone)]
pub struct Axes {
    /// The vertical axis' title, with its unit (`people per member`).
    pub y: String,
    /// The horizontal axis' title (`month`).
    pub x: String,
    /// The top of the scale when it is fixed (a questionnaire's 0–6); else from the data.
    pub top: Option<f64>,
    /// Decimals of the values written at the points.
    pub decimals: usize,
}

/// The months as slots: the month's short name, and the year under the first and under
/// every January.
pub fn month_slots(lang: Language, months: &[String]) -> Vec<Slot> {
    months
        .iter()
        .enumerate()
        .map(|(i, month)| {
            let (year, number) = parse_month(month);
            let words = lang::month_year(lang, year, number);
            // `month_year` writes the month, a space, the year: the slot shows them apart.
            let name = words
                .strip_suffix(&format!(" {year}"))
                .unwrap_or(&words)
                .to_owned();
            Slot {
                label: name,
                under: (i == 0 || number == 1).then(|| year.to_string()),
            }
        })
        .collect()
}

/// `2027-03` → (2027, 3).
pub fn parse_month(month: &str) -> (i32, u8) {
    let (year, number) = month.split_once('-').unwrap_or((month, "1"));
    (
        year.parse().unwrap_or(1970),
        number.parse().unwrap_or(1).clamp(1, 12),
    )
}

/// A top for the scale: a whole number above `max` with room for the value written over
/// the highest point, even (so the middle line is a whole number too), never 0.
fn axis_top(max: f64) -> f64 {
    let top = (max * 1.15).ceil().max(2.0);
    if top % 2.0 == 0.0 { top } else { top + 1.0 }
}

fn x_of(i: usize, n: usize) -> f64 {
    LEFT + (W - LEFT - RIGHT) * (i as f64 + 0.5) / n.max(1) as f64
}

fn y_of(value: f64, top: f64) -> f64 {
    let plot = H - TOP - BOTTOM;
    TOP + plot - plot * (value / top).clamp(0.0, 1.0)
}

fn n1(v: f64) -> String {
    format!("{v:.1}")
}

/// The frame: title, grid lines with their values, axis titles, the slots' labels.
fn frame(
    lang: Language,
    title: &str,
    slots: &[Slot],
    axes: &Axes,
    top: f64,
    plot: Markup,
) -> Markup {
    let ticks = [0.0, top / 2.0, top];
    let tick_decimals = usize::from(ticks.iter().any(|t| t.fract() != 0.0));
    let x_title_y = H - 6.0;
    let y_title_x = 14.0;
    let y_title_y = TOP + (H - TOP - BOTTOM) / 2.0;
    html! {
        svg.chart viewBox=(format!("0 0 {W} {H}")) width="100%" role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for tick in ticks {
                line x1=(n1(LEFT)) y1=(n1(y_of(tick, top))) x2=(n1(W - RIGHT)) y2=(n1(y_of(tick, top))) stroke=(GRID) stroke-width="1" {}
                text x=(n1(LEFT - 6.0)) y=(n1(y_of(tick, top) + 5.0)) font-size="14" text-anchor="end" fill=(INK) {
                    (lang::number(lang, tick, tick_decimals))
                }
            }
            text.axis x=(n1(y_title_x)) y=(n1(y_title_y)) font-size="13" text-anchor="middle" fill=(MUTED)
                transform=(format!("rotate(-90 {} {})", n1(y_title_x), n1(y_title_y))) { (axes.y) }
            @for (i, slot) in slots.iter().enumerate() {
                text x=(n1(x_of(i, slots.len()))) y=(n1(H - BOTTOM + 18.0)) font-size="14" text-anchor="middle" fill=(INK) { (slot.label) }
                @if let Some(under) = &slot.under {
                    text x=(n1(x_of(i, slots.len()))) y=(n1(H - BOTTOM + 34.0)) font-size="12" text-anchor="middle" fill=(MUTED) { (under) }
                }
            }
            text.axis x=(n1(LEFT + (W - LEFT - RIGHT) / 2.0)) y=(n1(x_title_y)) font-size="13" text-anchor="middle" fill=(MUTED) { (axes.x) }
            (plot)
        }
    }
}

/// The words standing where a value is not shown, upright in its slot.
fn missing(lang: Language, i: usize, n: usize, figure: &Figure<f64>) -> Markup {
    let words = match figure {
        Figure::TooFew => t!(lang, "too few"),
        Figure::NoData => t!(lang, "no data"),
        Figure::Shown(_) => return html! {},
    };
    let (x, y) = (x_of(i, n) + 4.0, H - BOTTOM - 6.0);
    html! {
        text.missing x=(n1(x)) y=(n1(y)) font-size="13" fill=(MUTED)
            transform=(format!("rotate(-90 {} {})", n1(x), n1(y))) { (words) }
    }
}

/// A line over the slots, with a dot and its value at every value shown; a gap, and
/// "too few" or "no data", where there is none.
pub fn line(
    lang: Language,
    title: &str,
    slots: &[Slot],
    values: &[Figure<f64>],
    axes: &Axes,
) -> Markup {
    let max = values
        .iter()
        .filter_map(|v| v.shown().copied())
        .fold(0.0, f64::max);
    let top = axes.top.unwrap_or_else(|| axis_top(max));
    let n = slots.len();
    // Runs of values next to each other are joined; a missing value breaks the line.
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, v) in values.iter().enumerate() {
        match v.shown() {
            Some(v) => {
                if let Some(run) = runs.last_mut() {
                    run.push((x_of(i, n), y_of(*v, top)));
                }
            }
            None => runs.push(Vec::new()),
        }
    }
    let plot = html! {
        @for run in runs.iter().filter(|r| r.len() > 1) {
            polyline points=(run.iter().map(|(x, y)| format!("{},{}", n1(*x), n1(*y))).collect::<Vec<_>>().join(" "))
                fill="none" stroke=(LINE) stroke-width="3" {}
        }
        @for (i, v) in values.iter().enumerate() {
            @if let Some(v) = v.shown() {
                circle cx=(n1(x_of(i, n))) cy=(n1(y_of(*v, top))) r="4.5" fill=(LINE) {}
                text.value x=(n1(x_of(i, n))) y=(n1(y_of(*v, top) - 9.0)) font-size="14" text-anchor="middle" fill=(INK) {
                    (lang::number(lang, *v, axes.decimals))
                }
            } @else {
                (missing(lang, i, n, v))
            }
        }
    };
    frame(lang, title, slots, axes, top, plot)
}

/// Bars over the slots, each with its count written on it.
pub fn bars(lang: Language, title: &str, slots: &[Slot], values: &[u32], axes: &Axes) -> Markup {
    let max = f64::from(values.iter().copied().max().unwrap_or(0));
    let top = axes.top.unwrap_or_else(|| axis_top(max));
    let n = slots.len();
    let slot = (W - LEFT - RIGHT) / n.max(1) as f64;
    let plot = html! {
        @for (i, v) in values.iter().enumerate() {
            @let (y, x) = (y_of(f64::from(*v), top), x_of(i, n));
            rect.bar x=(n1(x - slot * 0.3)) y=(n1(y)) width=(n1(slot * 0.6)) height=(n1(H - BOTTOM - y)) fill=(LINE) {}
            text.value x=(n1(x)) y=(n1(y - 5.0)) font-size="14" text-anchor="middle" fill=(INK) { (v) }
        }
    };
    frame(lang, title, slots, axes, top, plot)
}

/// A group's network: members on a ring, a solid line where two members wrote to each
/// other, a dashed one where they are contacts but did not write. One line per tie:
/// the number of ties said beside it is the number of lines drawn.
pub fn network(title: &str, labels: &[String], ties: &[(usize, usize, bool)]) -> Markup {
    // Wide enough for a first name beside the outermost members.
    let (w, h) = (440.0, 330.0);
    let (cx, cy, r) = (w / 2.0, h / 2.0, 112.0);
    let n = labels.len().max(1) as f64;
    let angle = |i: usize| std::f64::consts::TAU * i as f64 / n - std::f64::consts::FRAC_PI_2;
    let at = |i: usize, radius: f64| {
        let a = angle(i);
        (cx + radius * a.cos(), cy + radius * a.sin())
    };
    let drawn: Vec<&(usize, usize, bool)> = ties
        .iter()
        .filter(|(a, b, _)| *a < labels.len() && *b < labels.len())
        .collect();
    html! {
        svg.graph viewBox=(format!("0 0 {w} {h}")) width="100%" role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for (a, b, wrote) in drawn {
                @let ((x1, y1), (x2, y2)) = (at(*a, r), at(*b, r));
                @if *wrote {
                    line.tie x1=(n1(x1)) y1=(n1(y1)) x2=(n1(x2)) y2=(n1(y2)) stroke=(LINE) stroke-width="3" {}
                } @else {
                    line.tie x1=(n1(x1)) y1=(n1(y1)) x2=(n1(x2)) y2=(n1(y2)) stroke=(LINE) stroke-width="3" stroke-dasharray="7 6" {}
                }
            }
            @for (i, label) in labels.iter().enumerate() {
                @let (x, y) = at(i, r);
                @let (lx, ly) = at(i, r + 18.0);
                @let anchor = if lx > cx + 1.0 { "start" } else if lx < cx - 1.0 { "end" } else { "middle" };
                circle cx=(n1(x)) cy=(n1(y)) r="11" fill="#f2c500" stroke=(INK) stroke-width="2" {}
                text x=(n1(lx)) y=(n1(ly + 5.0)) font-size="15" text-anchor=(anchor) fill=(INK) { (label) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axes(top: Option<f64>) -> Axes {
        Axes {
            y: "people <per member>".into(),
            x: "month".into(),
            top,
            decimals: 1,
        }
    }

    #[test]
    fn a_line_shows_values_words_where_there_are_none_and_escapes_its_labels() {
        let months: Vec<String> = ["2026-12", "2027-01", "2027-02", "2027-03"]
            .map(String::from)
            .to_vec();
        let slots = month_slots(Language::Nl, &months);
        assert_eq!(
            (slots[0].label.as_str(), slots[0].under.as_deref()),
            ("dec", Some("2026"))
        );
        assert_eq!(slots[1].under.as_deref(), Some("2027"), "January");
        assert_eq!(slots[2].under, None);
        let svg = line(
            Language::Nl,
            "Oost <script>",
            &slots,
            &[
                Figure::Shown(0.5),
                Figure::NoData,
                Figure::Shown(2.0),
                Figure::TooFew,
            ],
            &axes(None),
        )
        .into_string();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("viewBox=\"0 0 400 250\"") && svg.contains("width=\"100%\""));
        assert!(
            svg.contains(">0,5<") && svg.contains(">2,0<"),
            "Belgian numbers"
        );
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script"));
        assert!(
            svg.contains("&lt;per member&gt;"),
            "the axis title, escaped"
        );
        assert!(svg.contains(">too few<") || svg.contains(">te weinig<"));
        assert_eq!(svg.matches("<circle").count(), 2, "a dot per value shown");
        assert_eq!(
            svg.matches("<polyline").count(),
            0,
            "no line across a missing month"
        );
        assert!(
            !svg.contains("style="),
            "no inline styles: the CSP forbids them"
        );
        assert!(
            !svg.contains("/>"),
            "every element closed, none self-closed"
        );
    }

    #[test]
    fn a_fixed_scale_is_drawn_whole() {
        let slots = vec![
            Slot {
                label: "Start".into(),
                under: None,
            },
            Slot {
                label: "End".into(),
                under: None,
            },
        ];
        let svg = line(
            Language::En,
            "Loneliness",
            &slots,
            &[Figure::Shown(3.0), Figure::Shown(2.4)],
            &axes(Some(6.0)),
        )
        .into_string();
        // The grid's values: 0, 3 and 6, whatever the data.
        for tick in [">0<", ">3<", ">6<"] {
            assert!(svg.contains(tick), "{tick}: {svg}");
        }
        assert_eq!(svg.matches("<polyline").count(), 1);
    }

    #[test]
    fn bars_and_the_ring_draw_what_they_say() {
        let months: Vec<String> = ["2026-11", "2026-12"].map(String::from).to_vec();
        let svg = bars(
            Language::En,
            "New ties",
            &month_slots(Language::En, &months),
            &[0, 3],
            &axes(None),
        )
        .into_string();
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(">3<") && svg.contains(">Nov<"));
        let svg = network(
            "Oost",
            &["Jan".into(), "<Anna>".into(), "Mia".into()],
            &[(0, 1, true), (1, 2, false), (0, 7, true)],
        )
        .into_string();
        assert_eq!(
            svg.matches("class=\"tie\"").count(),
            2,
            "a tie to no one is not drawn"
        );
        assert_eq!(
            svg.matches("stroke-dasharray").count(),
            1,
            "one without messages"
        );
        assert!(svg.contains("&lt;Anna&gt;") && !svg.contains("<Anna>"));
    }
}
