//! Administering the region tree: rename or add below any node, and import
//! a branch from a CSV file (every bad line named, nothing imported then).

use crate::api::{AddRegion, ImportRegions, RenameRegion, intake_options};
use crate::i18n::*;
use crate::pages::layout::{ErrorNote, field_error, last_error};
use leptos::prelude::*;

fn problem(l: Locale, key: &str) -> String {
    match key {
        "parent" => td_string!(l, regions.p_parent),
        "level" => td_string!(l, regions.p_level),
        "level_order" => td_string!(l, regions.p_level_order),
        "columns" => td_string!(l, regions.p_columns),
        "duplicate" => td_string!(l, regions.p_duplicate),
        "slash" => td_string!(l, regions.p_slash),
        "required" => td_string!(l, error.required),
        "too_long" => td_string!(l, error.too_long),
        _ => td_string!(l, regions.p_unreadable),
    }
    .to_string()
}

#[component]
pub fn Regions() -> impl IntoView {
    let i18n = use_i18n();
    let import = ServerAction::<ImportRegions>::new();
    let add = ServerAction::<AddRegion>::new();
    let rename = ServerAction::<RenameRegion>::new();
    let tree = Resource::new(
        move || {
            (
                import.version().get(),
                add.version().get(),
                rename.version().get(),
            )
        },
        |_| intake_options(),
    );
    let csv = RwSignal::new(String::new());
    let add_error = last_error(add.value());
    let rename_error = last_error(rename.value());
    view! {
        <section class="regions">
            <h1>{t!(i18n, regions.title)}</h1>
            <section class="card">
                <h2>{t!(i18n, regions.import)}</h2>
                <p class="hint">{t!(i18n, regions.format)}</p>
                <label>
                    {t!(i18n, regions.file)}
                    <input type="file" accept=".csv,text/csv" data-testid="csv-file" on:change=move |ev| read_file(ev, csv) />
                </label>
                <ActionForm action=import attr:class="action" attr:data-action="import_regions">
                    <textarea name="csv" rows="6" prop:value=move || csv.get() on:input=move |ev| csv.set(event_target_value(&ev))></textarea>
                    <button type="submit">{t!(i18n, regions.import)}</button>
                </ActionForm>
                {move || import.pending().get().then(|| view! { <p><progress></progress> " " {t!(i18n, regions.importing)}</p> })}
                {move || import.value().get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(report) if report.errors.is_empty() => view! {
                        <p class="notice" data-testid="imported">{t_string!(i18n, regions.imported, n = report.imported).to_string()}</p>
                    }.into_any(),
                    Ok(report) => view! {
                        <div class="notice error" data-testid="import-errors">
                            <p>{t_string!(i18n, regions.rejected, n = report.errors.len()).to_string()}</p>
                            <ul>
                                {report.errors.into_iter().map(|e| view! {
                                    <li data-line=e.line>{move || t_string!(i18n, regions.line, n = e.line).to_string()} "：" {move || problem(i18n.get_locale(), &e.problem)}</li>
                                }).collect_view()}
                            </ul>
                        </div>
                    }.into_any(),
                })}
            </section>
            {field_error(add_error, "name")}
            {field_error(rename_error, "name")}
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match tree.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(o) => view! {
                            <table class="figures" data-testid="regions">
                                <tbody>
                                    {o.areas.into_iter().map(|a| view! {
                                        <tr data-region=a.id>
                                            <th scope="row">{a.label.clone()}</th>
                                            <td>
                                                <ActionForm action=rename attr:class="inline">
                                                    <input type="hidden" name="region" value=a.id />
                                                    <input type="text" name="name" maxlength="40" required aria-label=move || t_string!(i18n, regions.new_name) />
                                                    <button type="submit">{t!(i18n, regions.rename)}</button>
                                                </ActionForm>
                                            </td>
                                            <td>
                                                <ActionForm action=add attr:class="inline">
                                                    <input type="hidden" name="parent" value=a.id />
                                                    <input type="text" name="name" maxlength="40" required aria-label=move || t_string!(i18n, regions.child_name) />
                                                    <button type="submit">{t!(i18n, regions.add)}</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Reads the chosen file into the text box (the browser does it; nothing is
/// uploaded until the form is sent).
#[cfg(feature = "hydrate")]
fn read_file(ev: leptos::ev::Event, csv: RwSignal<String>) {
    use wasm_bindgen::JsCast;
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        return;
    };
    leptos::task::spawn_local(async move {
        if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await
            && let Some(text) = text.as_string()
        {
            csv.set(text);
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn read_file(_ev: leptos::ev::Event, _csv: RwSignal<String>) {}
