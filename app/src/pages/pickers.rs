//! The options of pickers that several pages share, so a category, a unit
//! or an area is offered the same way everywhere: named in the reader's
//! language, and the one chosen before (a filter in the address, a refused
//! form) still chosen.

use crate::i18n::*;
use domain::view::{CategoryInfo, Named, RegionOption};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

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

/// The value of `name` in the page's address, when it holds one: what a
/// filter shows as chosen.
pub fn in_query(name: &'static str) -> Signal<Option<String>> {
    let query = use_query_map();
    Signal::derive(move || query.read().get(name).filter(|v| !v.is_empty()))
}

/// One picker of a filter bar: its label, "any" first, then the options
/// (`CategoryOptions`, `ChoiceOptions` or the page's own).
#[component]
pub fn FilterSelect(
    /// The query's key.
    name: &'static str,
    #[prop(into)] label: ViewFn,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label>
            {label.run()}
            <select name=name>
                <option value="">{t!(i18n, field.any)}</option>
                {children()}
            </select>
        </label>
    }
}

/// A checkbox of a filter bar, ticked while its key is in the address.
#[component]
pub fn FilterCheck(
    /// The query's key.
    name: &'static str,
    children: Children,
) -> impl IntoView {
    let ticked = in_query(name);
    view! {
        <label class="check">
            <input type="checkbox" name=name value="1" checked=move || ticked.get().is_some() />
            {children()}
        </label>
    }
}

/// The words a filter bar searches for (`q`).
#[component]
pub fn FilterSearch() -> impl IntoView {
    let i18n = use_i18n();
    let words = in_query("q");
    view! {
        <label>
            {t!(i18n, field.q)}
            <input type="search" name="q" value=move || words.get().unwrap_or_default() />
        </label>
    }
}
