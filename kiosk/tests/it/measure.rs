//! Measuring a rendered screen as a senior meets it: every element's box in millimetres
//! on the real glass (per axis: some panels have pixels that are not square), and every
//! text checked against the room it was given, from Slint's own text layout.
//!
//! The public testing API (i-slint-backend-testing) gives positions and sizes; whether a
//! text fits its box needs the renderer's own measure of its words, which only Slint's
//! core holds. The core is pinned to the same version as `slint` (=1.18.1), so these
//! internals cannot move under the test.

use i_slint_backend_testing::ElementHandle;
use i_slint_core::item_tree::{ItemRc, ParentItemTraversalMode};
use i_slint_core::items::{
    Clip, ComplexText, Item, ItemRef, Opacity, SimpleText, TextOverflow, TextWrap,
};
use i_slint_core::layout::Orientation;
use i_slint_core::window::WindowInner;
use nabij_kiosk::platform::profile::Profile;
use nabij_kiosk::ui::App;
use slint::ComponentHandle;
use std::ops::ControlFlow;

/// Layout rounds to physical pixels; allow a quarter millimetre.
pub const SLACK_MM: f32 = 0.25;

/// A box on the glass, in millimetres from the top-left corner.
#[derive(Debug, Clone)]
pub struct Rect {
    /// What it is called (accessible label, or a text's words).
    pub label: String,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    fn from_logical(label: String, x: f32, y: f32, w: f32, h: f32, glass: &Glass) -> Rect {
        Rect {
            label,
            x: x * glass.mm_x,
            y: y * glass.mm_y,
            w: w * glass.mm_x,
            h: h * glass.mm_y,
        }
    }

    /// An element's box.
    pub fn of(e: &ElementHandle, glass: &Glass) -> Rect {
        let (p, s) = (e.absolute_position(), e.size());
        let label = e.accessible_label().unwrap_or_default().to_string();
        Rect::from_logical(label, p.x, p.y, s.width, s.height, glass)
    }

    /// The distance between two boxes (0 when they touch or overlap).
    pub fn gap_to(&self, o: &Rect) -> f32 {
        let dx = (o.x - (self.x + self.w)).max(self.x - (o.x + o.w)).max(0.0);
        let dy = (o.y - (self.y + self.h)).max(self.y - (o.y + o.h)).max(0.0);
        dx.max(dy)
    }

    /// Whether the box lies (within the slack) inside `outer`.
    pub fn inside(&self, outer: &Rect) -> bool {
        self.x + SLACK_MM >= outer.x
            && self.y + SLACK_MM >= outer.y
            && self.x + self.w <= outer.x + outer.w + SLACK_MM
            && self.y + self.h <= outer.y + outer.h + SLACK_MM
    }

    fn intersect(&self, o: &Rect) -> Rect {
        let x = self.x.max(o.x);
        let y = self.y.max(o.y);
        let right = (self.x + self.w).min(o.x + o.w);
        let bottom = (self.y + self.h).min(o.y + o.h);
        Rect {
            label: self.label.clone(),
            x,
            y,
            w: (right - x).max(0.0),
            h: (bottom - y).max(0.0),
        }
    }

    /// Whether nothing of the box shows.
    pub fn is_empty(&self) -> bool {
        self.w <= SLACK_MM || self.h <= SLACK_MM
    }
}

/// How logical pixels become millimetres on one profile's glass.
#[derive(Debug, Clone, Copy)]
pub struct Glass {
    /// Millimetres per logical pixel across.
    pub mm_x: f32,
    /// Millimetres per logical pixel down.
    pub mm_y: f32,
    /// The window, in millimetres.
    pub width_mm: f32,
    pub height_mm: f32,
    /// Physical pixels per millimetre (for reading the picture).
    pub px_x: f32,
    pub px_y: f32,
}

impl Glass {
    /// The glass of `profile`, as the kiosk scales for it.
    pub fn of(profile: &Profile) -> Glass {
        let scale = profile.scale_factor();
        let (w, h) = profile.window_px();
        Glass {
            mm_x: scale / profile.px_per_mm_x(),
            mm_y: scale / profile.px_per_mm_y(),
            width_mm: w as f32 / profile.px_per_mm_x(),
            height_mm: h as f32 / profile.px_per_mm_y(),
            px_x: profile.px_per_mm_x(),
            px_y: profile.px_per_mm_y(),
        }
    }

    /// The whole window as a box.
    pub fn window(&self) -> Rect {
        Rect {
            label: "the window".into(),
            x: 0.0,
            y: 0.0,
            w: self.width_mm,
            h: self.height_mm,
        }
    }

    /// Logical pixels to millimetres of a font (the denser axis: the smaller one).
    pub fn font_mm(&self, logical: f32) -> f32 {
        logical * self.mm_x.min(self.mm_y)
    }
}

/// One text as it is drawn.
#[derive(Debug, Clone)]
pub struct DrawnText {
    /// Its box on the glass.
    pub rect: Rect,
    /// What of the box shows through every clipping parent (empty: scrolled away).
    pub shown: Rect,
    /// The font's em in millimetres.
    pub em_mm: f32,
    /// Problems with the room it was given, in words.
    pub problems: Vec<String>,
    /// What is typed: it scrolls, so only its end must show.
    pub scrolls: bool,
}

fn opacity(item: &ItemRc) -> f32 {
    let mut opacity = 1.0;
    let mut at = item.clone();
    while let Some(parent) = at.parent_item(ParentItemTraversalMode::StopAtPopups) {
        if let Some(o) = ItemRef::downcast_pin::<Opacity>(at.borrow()) {
            opacity *= o.opacity();
        }
        at = parent;
    }
    opacity
}

fn logical_rect(item: &ItemRc) -> (f32, f32, f32, f32) {
    let g = item.geometry();
    let p = item.map_to_window(g.origin);
    (p.x, p.y, g.size.width, g.size.height)
}

/// The part of the window an item can show through: its clipping parents' boxes.
fn clip_of(item: &ItemRc, glass: &Glass) -> Rect {
    let mut shown = glass.window();
    let mut at = item.clone();
    while let Some(parent) = at.parent_item(ParentItemTraversalMode::StopAtPopups) {
        if let Some(clip) = ItemRef::downcast_pin::<Clip>(parent.borrow())
            && clip.clip()
        {
            let (x, y, w, h) = logical_rect(&parent);
            shown = shown.intersect(&Rect::from_logical(String::new(), x, y, w, h, glass));
        }
        at = parent;
    }
    shown
}

/// The text items' common parts, for both kinds Slint draws.
struct TextFacts {
    words: String,
    font_size: f32,
    wrap: TextWrap,
    overflow: TextOverflow,
}

fn text_facts(item: &ItemRc) -> Option<TextFacts> {
    if let Some(t) = ItemRef::downcast_pin::<ComplexText>(item.borrow()) {
        return Some(TextFacts {
            words: t.text().to_string(),
            font_size: t.font_size().get(),
            wrap: t.wrap(),
            overflow: t.overflow(),
        });
    }
    ItemRef::downcast_pin::<SimpleText>(item.borrow()).map(|t| TextFacts {
        words: t.text().to_string(),
        font_size: t.font_size().get(),
        wrap: TextWrap::NoWrap,
        overflow: TextOverflow::Clip,
    })
}

fn layout(item: &ItemRc, orientation: Orientation, cross: f32) -> (f32, f32) {
    let Some(adapter) = item.window_adapter() else {
        return (0.0, 0.0);
    };
    let info = if let Some(t) = ItemRef::downcast_pin::<ComplexText>(item.borrow()) {
        Item::layout_info(t, orientation, cross, &adapter, item)
    } else if let Some(t) = ItemRef::downcast_pin::<SimpleText>(item.borrow()) {
        Item::layout_info(t, orientation, cross, &adapter, item)
    } else {
        return (0.0, 0.0);
    };
    (info.min, info.preferred)
}

/// Every visible text of `app`'s window, measured against the room it was given.
pub fn texts(app: &App, glass: &Glass) -> Vec<DrawnText> {
    let inner = WindowInner::from_pub(app.window());
    let root = ItemRc::new_root(inner.component());
    let mut found = Vec::new();
    root.visit_descendants(|item| -> ControlFlow<()> {
        if !item.is_visible() {
            return ControlFlow::Continue(());
        }
        let Some(facts) = text_facts(item) else {
            return ControlFlow::Continue(());
        };
        if facts.words.trim().is_empty() || opacity(item) <= 0.0 {
            return ControlFlow::Continue(());
        }
        let (x, y, w, h) = logical_rect(item);
        let rect = Rect::from_logical(facts.words.clone(), x, y, w, h, glass);
        let shown = clip_of(item, glass).intersect(&rect);
        let mut problems = Vec::new();
        let (min_w, preferred_w) = layout(item, Orientation::Horizontal, -1.0);
        let slack = SLACK_MM / glass.mm_x;
        match (facts.wrap, facts.overflow) {
            (TextWrap::WordWrap, TextOverflow::Clip) if w + slack < min_w => {
                problems.push(format!(
                    "a word is broken: its longest word needs {:.1} mm, the box is {:.1} mm wide",
                    min_w * glass.mm_x,
                    rect.w
                ));
            }
            (_, TextOverflow::Elide) if w + slack < preferred_w => {
                problems.push(format!(
                    "cut short with …: it needs {:.1} mm, the box is {:.1} mm wide",
                    preferred_w * glass.mm_x,
                    rect.w
                ));
            }
            (TextWrap::NoWrap, TextOverflow::Clip) if w + slack < preferred_w => {
                problems.push(format!(
                    "wider than its box: it needs {:.1} mm, the box is {:.1} mm",
                    preferred_w * glass.mm_x,
                    rect.w
                ));
            }
            _ => {}
        }
        let (min_h, _) = layout(item, Orientation::Vertical, w);
        if h + SLACK_MM / glass.mm_y < min_h {
            problems.push(format!(
                "taller than its box: its lines need {:.1} mm, the box is {:.1} mm high",
                min_h * glass.mm_y,
                rect.h
            ));
        }
        // What is typed scrolls: its end (the last line) must show, its start may not.
        let scrolls = item.accessible_role() == i_slint_core::items::AccessibleRole::TextInput;
        let end_hidden = shown.y + shown.h + SLACK_MM < rect.y + rect.h;
        if scrolls {
            if end_hidden || shown.w + SLACK_MM < rect.w {
                problems.push(format!(
                    "what is typed does not show its end: {:.1} × {:.1} mm of its {:.1} × {:.1} mm show",
                    shown.w, shown.h, rect.w, rect.h
                ));
            }
        } else if !shown.is_empty()
            && (shown.w + SLACK_MM < rect.w || shown.h + SLACK_MM < rect.h)
        {
            problems.push(format!(
                "clipped: {:.1} × {:.1} mm of its {:.1} × {:.1} mm show",
                shown.w, shown.h, rect.w, rect.h
            ));
        }
        found.push(DrawnText {
            em_mm: glass.font_mm(facts.font_size),
            rect,
            shown,
            problems,
            scrolls,
        });
        ControlFlow::Continue(())
    });
    found
}
