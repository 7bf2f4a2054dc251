//! Administering the region tree: rename or add below any node, and import
//! a branch from a CSV file (every bad line named, nothing imported then).

use crate::api::{AddRegion, ImportRegions, MoveRegion, RenameRegion, RetireRegion, region_nodes};
use crate::i18n::*;
use crate::pages::layout::{ErrorNote, field_error, last_error};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

fn problem(l: Locale, key: &str) -> String {
    match key {
        "parent" => td_string!(l, regions.p_parent),
        "level" => td_string!(l, regions.p_level),
        "level_order" => td_string!(l, regions.p_level_order),
        "columns" => td_string!(l, regions.p_columns),
        "duplicate" => td_string!(l, regions.p_duplicate),
        "slash" => td_string!(l, regions.p_slash),
        "control_chars" => td_string!(l, regions.p_control),
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
    let relocate = ServerAction::<MoveRegion>::new();
    let retire = ServerAction::<RetireRegion>::new();
    let relocate_error = last_error(relocate.value());
    let retire_error = last_error(retire.value());
    let tree = Resource::new(
        move || {
            (
                import.version().get(),
                add.version().get(),
                rename.version().get(),
                relocate.version().get(),
                retire.version().get(),
            )
        },
        |_| region_nodes(),
    );
    let csv = RwSignal::new(String::new());
    // Bytes sent and to send while an import is on its way up.
    let sent = RwSignal::new(None::<(f64, f64)>);
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
                // A plain form without JavaScript; with it, sent by `upload`
                // so a large file shows how much has gone up.
                <form method="post" action=ImportRegions::url() class="action" data-action="import_regions"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        upload(csv.get_untracked(), import, sent);
                    }>
                    <textarea name="csv" rows="6" prop:value=move || csv.get() on:input=move |ev| csv.set(event_target_value(&ev))></textarea>
                    <button type="submit">{t!(i18n, regions.import)}</button>
                </form>
                {move || sent.get().map(|(done, total)| view! {
                    <p data-testid="upload-progress">
                        <progress max=total value=done></progress> " "
                        {if done < total {
                            t_string!(i18n, regions.uploading, done = (done / 1024.0).ceil(), total = (total / 1024.0).ceil()).to_string()
                        } else {
                            t_string!(i18n, regions.importing).to_string()
                        }}
                    </p>
                })}
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
                        Ok(o) => {
                            let option = |a: &domain::view::RegionOption| view! { <option value=a.id>{a.label.clone()}</option> };
                            let (nodes, parents, retirable) = (
                                o.iter().map(option).collect_view(),
                                o.iter().map(option).collect_view(),
                                o.iter().map(option).collect_view(),
                            );
                            view! {
                            <section class="card">
                                <h2>{t!(i18n, regions.move_retire)}</h2>
                                <p class="hint">{t!(i18n, regions.move_hint)}</p>
                                <ActionForm action=relocate attr:class="action" attr:data-action="move_region">
                                    <label>{t!(i18n, regions.node)}
                                        <select name="region">{nodes}</select>
                                    </label>
                                    <label>{t!(i18n, regions.new_parent)}
                                        <select name="parent">{parents}</select>
                                    </label>
                                    {field_error(relocate_error, "parent")}
                                    {field_error(relocate_error, "name")}
                                    <button type="submit">{t!(i18n, regions.move_node)}</button>
                                </ActionForm>
                                <ActionForm action=retire attr:class="action" attr:data-action="retire_region">
                                    <label>{t!(i18n, regions.node)}
                                        <select name="region">{retirable}</select>
                                    </label>
                                    {field_error(retire_error, "region")}
                                    <button type="submit">{t!(i18n, regions.retire)}</button>
                                </ActionForm>
                                {move || retire.value().get().and_then(|r| r.ok()).map(|n| view! {
                                    <p class="notice" data-testid="retired">{t_string!(i18n, regions.retired, n = n).to_string()}</p>
                                })}
                            </section>
                            <table class="figures" data-testid="regions">
                                <tbody>
                                    {o.into_iter().map(|a| view! {
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
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// Sends the CSV with XMLHttpRequest, whose upload events count the bytes
/// (fetch cannot); the report lands in the action as if it had sent it. Any
/// failure falls back to the action, which shows the error.
#[cfg(feature = "hydrate")]
fn upload(text: String, import: ServerAction<ImportRegions>, sent: RwSignal<Option<(f64, f64)>>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let fallback = {
        let text = text.clone();
        move || {
            sent.set(None);
            import.dispatch(ImportRegions { csv: text.clone() });
        }
    };
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
        return fallback();
    };
    let Ok(body) = web_sys::UrlSearchParams::new() else {
        return fallback();
    };
    body.append("csv", &text);
    if xhr.open("POST", ImportRegions::url()).is_err()
        || xhr
            .set_request_header("Content-Type", "application/x-www-form-urlencoded")
            .is_err()
        || xhr
            .set_request_header("Accept", "application/json")
            .is_err()
    {
        return fallback();
    }
    sent.set(Some((0.0, text.len() as f64)));
    crate::pages::photos::count_sent(&xhr, sent);
    let done = xhr.clone();
    let on_end = Closure::once_into_js(move || {
        let report = (done.status().ok() == Some(200))
            .then(|| done.response_text().ok().flatten())
            .flatten()
            .and_then(|t| serde_json::from_str::<domain::view::ImportReport>(&t).ok());
        match report {
            Some(r) => {
                sent.set(None);
                import.value().set(Some(Ok(r)));
                import.version().update(|n| *n += 1);
            }
            None => fallback(),
        }
    });
    xhr.set_onloadend(Some(on_end.unchecked_ref()));
    if xhr
        .send_with_opt_str(Some(&String::from(body.to_string())))
        .is_err()
    {
        sent.set(None);
    }
}

#[cfg(not(feature = "hydrate"))]
fn upload(
    _text: String,
    _import: ServerAction<ImportRegions>,
    _sent: RwSignal<Option<(f64, f64)>>,
) {
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
