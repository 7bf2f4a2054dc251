//! The options of pickers that several pages share, so a category, a unit
//! or an area is offered the same way everywhere: named in the reader's
//! language, and the one chosen before (a filter in the address, a refused
//! form) still chosen.

use crate::i18n::*;
use domain::view::{CategoryInfo, Named, RegionOption};
use leptos::prelude::*;

/// The `<option>`s of a category picker, each in the reader's language.
#[component]
pub fn CategoryOptions(
    categories: Vec<CategoryInfo>,
    /// The id chosen before, if any.
    #[prop(into, optional)]
    chosen: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    categories
        .into_iter()
        .map(|c| {
            let id = c.id.to_string();
            let value = id.clone();
            view! {
                <option value=value selected=move || chosen.get().as_deref() == Some(id.as_str())>
                    {move || if i18n.get_locale() == Locale::zh { c.name_zh.clone() } else { c.name_en.clone() }}
                </option>
            }
        })
        .collect_view()
}

/// A record a picker offers by id and name.
pub trait Choice {
    fn id(&self) -> i64;
    fn label(&self) -> String;
}

impl Choice for Named {
    fn id(&self) -> i64 {
        self.id
    }
    fn label(&self) -> String {
        self.name.clone()
    }
}

impl Choice for RegionOption {
    fn id(&self) -> i64 {
        self.id
    }
    fn label(&self) -> String {
        self.label.clone()
    }
}

/// The `<option>`s of a picker of units, stations or areas.
#[component]
pub fn ChoiceOptions<T: Choice + 'static>(
    choices: Vec<T>,
    /// The id chosen before, if any.
    #[prop(into, optional)]
    chosen: Signal<Option<String>>,
) -> impl IntoView {
    choices
        .into_iter()
        .map(|c| {
            let id = c.id().to_string();
            let value = id.clone();
            view! {
                <option value=value selected=move || chosen.get().as_deref() == Some(id.as_str())>
                    {c.label()}
                </option>
            }
        })
        .collect_view()
}
