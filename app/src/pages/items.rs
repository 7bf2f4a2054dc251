//! Escalated items (市级统筹): the list, one item with its linked cases and
//! progress, and the box on a case page that links it with similar cases.

use crate::api::{CreateItem, UpdateItem, get_item, item_candidates, list_items};
use crate::i18n::*;
use crate::labels;
use crate::pages::layout::{DeadlineBadge, ErrorNote, field_error, fmt_time, last_error};
use domain::coordination::ItemStatus;
use domain::view::{Item, ItemBrief, Named};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn Items() -> impl IntoView {
    let i18n = use_i18n();
    let items = Resource::new(|| (), |_| list_items());
    view! {
        <section class="items">
            <h1>{t!(i18n, item.list_title)}</h1>
            <p class="hint">{t!(i18n, item.intro)}</p>
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match items.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">{t!(i18n, item.none)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="item-list">
                                {list.into_iter().map(|b| view! { <ItemLine b /> }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ItemLine(b: ItemBrief) -> impl IntoView {
    let i18n = use_i18n();
    let status = b.status;
    view! {
        <li data-item=b.id data-status=status.as_str()>
            <A href=format!("/items/{}", b.id)><strong>{b.title.clone()}</strong></A>
            " · " {b.unit.clone()} " · "
            {move || labels::item_status(i18n.get_locale(), status)}
            " · " {move || t_string!(i18n, item.case_count, n = b.cases).to_string()}
            " · " {fmt_time(b.updated_at)}
        </li>
    }
}

#[component]
pub fn ItemPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let update = ServerAction::<UpdateItem>::new();
    let item = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                update.version().get(),
            )
        },
        |(id, _)| get_item(id),
    );
    view! {
        <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match item.await {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(item) => view! { <ItemView item update /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ItemView(item: Item, update: ServerAction<UpdateItem>) -> impl IntoView {
    let i18n = use_i18n();
    let b = item.brief.clone();
    let status = b.status;
    let error = last_error(update.value());
    view! {
        <article class="item" data-testid="item" data-status=status.as_str()>
            <header>
                <h1>{b.title.clone()}</h1>
                <p>
                    <strong data-testid="item-status">{move || labels::item_status(i18n.get_locale(), status)}</strong>
                    " · " {t!(i18n, item.lead_unit)} " " {b.unit.clone()}
                    " · " {item.place.clone()}
                    " · " {item.created_by.clone()} " " {fmt_time(item.created_at)}
                </p>
            </header>
            <section class="card">
                <h2>{t!(i18n, item.measure)}</h2>
                <p class="measure">{b.measure.clone()}</p>
            </section>
            <section class="card">
                <h2>{t!(i18n, item.linked)}</h2>
                <table class="figures" data-testid="linked">
                    <thead>
                        <tr>
                            <th scope="col">{t!(i18n, field.code)}</th>
                            <th scope="col">{t!(i18n, field.title)}</th>
                            <th scope="col">{t!(i18n, field.region)}</th>
                            <th scope="col">{t!(i18n, field.unit)}</th>
                            <th scope="col">{t!(i18n, field.status)}</th>
                            <th scope="col">{t!(i18n, case.due)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {item.linked.into_iter().map(|c| {
                            let s = c.status;
                            let href = format!("/cases/{}", c.code);
                            let code = c.code.clone();
                            view! {
                                <tr data-code=c.code.clone()>
                                    <td><A href=href>{code}</A></td>
                                    <td>{c.title.clone()}</td>
                                    <td>{c.place.clone()}</td>
                                    <td>{c.unit.clone().unwrap_or_default()}</td>
                                    <td>{move || labels::status(i18n.get_locale(), s)}</td>
                                    <td><DeadlineBadge deadline=c.deadline.clone() /></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            <section class="card">
                <h2>{t!(i18n, item.progress)}</h2>
                <ol class="timeline" data-testid="updates">
                    {item.updates.into_iter().map(|u| {
                        let s = u.status;
                        view! {
                            <li data-status=s.as_str()>
                                <time>{fmt_time(u.at)}</time> " · " {u.by.clone()} " · "
                                <strong>{move || labels::item_status(i18n.get_locale(), s)}</strong>
                                " · " {u.note.clone()}
                            </li>
                        }
                    }).collect_view()}
                </ol>
                {item.can_update.then(|| view! {
                    <ActionForm action=update attr:class="action" attr:data-action="update_item">
                        <input type="hidden" name="item" value=b.id />
                        <label>
                            {t!(i18n, item.new_status)}
                            <select name="status">
                                {ItemStatus::ALL.into_iter().filter(|s| status.may_become(*s)).map(|s| view! {
                                    <option value=s.as_str() selected=s == status>
                                        {move || labels::item_status(i18n.get_locale(), s)}
                                    </option>
                                }).collect_view()}
                            </select>
                        </label>
                        {field_error(error, "status")}
                        <label>
                            {t!(i18n, item.note)}
                            <textarea name="note" rows="3" maxlength="1000" required></textarea>
                        </label>
                        {field_error(error, "note")}
                        <button type="submit">{t!(i18n, item.post_update)}</button>
                    </ActionForm>
                })}
                {move || error.get().filter(|e| e.field("note").is_none() && e.field("status").is_none()).map(|e| view! { <ErrorNote error=e /> })}
            </section>
        </article>
    }
}

/// On a case page: the item the case follows, or — for whoever may
/// coordinate — a form linking it with similar open cases into a new item.
#[component]
pub fn CaseItem(
    code: String,
    title: String,
    coordination: Option<ItemBrief>,
    can_coordinate: bool,
    units: Vec<Named>,
    create: ServerAction<CreateItem>,
) -> impl IntoView {
    let i18n = use_i18n();
    if let Some(b) = coordination {
        let status = b.status;
        return view! {
            <section class="card item-notice" data-testid="case-item" data-status=status.as_str()>
                <h2>{t!(i18n, item.follows)}</h2>
                <p>
                    <A href=format!("/items/{}", b.id)><strong>{b.title.clone()}</strong></A>
                    " · " {move || labels::item_status(i18n.get_locale(), status)}
                    " · " {b.unit.clone()}
                </p>
                <p class="measure">{t!(i18n, item.measure)} "：" {b.measure.clone()}</p>
                {b.latest.clone().map(|l| view! { <p data-testid="item-latest">{t!(i18n, item.latest)} "：" {l}</p> })}
            </section>
        }
        .into_any();
    }
    if !can_coordinate {
        return ().into_any();
    }
    let error = last_error(create.value());
    let codes = RwSignal::new(code.clone());
    let toggle = move |other: String, on: bool| {
        codes.update(|list| {
            let mut parts: Vec<String> = list.split_whitespace().map(String::from).collect();
            parts.retain(|c| *c != other);
            if on {
                parts.push(other);
            }
            *list = parts.join(" ");
        })
    };
    let candidates = Resource::new(move || code.clone(), item_candidates);
    view! {
        <section class="card item-new" data-testid="link-cases">
            <h2>{t!(i18n, item.escalate)}</h2>
            <p class="hint">{t!(i18n, item.escalate_hint)}</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = candidates.await.unwrap_or_default();
                    (!list.is_empty()).then(|| view! {
                        <fieldset class="candidates">
                            <legend>{t!(i18n, item.candidates)}</legend>
                            {list.into_iter().map(|c| {
                                let other = c.code.clone();
                                view! {
                                    <label data-code=c.code.clone()>
                                        <input type="checkbox" on:change=move |ev| toggle(other.clone(), event_target_checked(&ev)) />
                                        " " {c.code.clone()} " · " {c.title.clone()} " · " {c.place.clone()}
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                    })
                })}
            </Transition>
            <ActionForm action=create attr:class="action" attr:data-action="create_item">
                <label>
                    {t!(i18n, item.codes)}
                    <input type="text" name="codes" prop:value=move || codes.get() on:input=move |ev| codes.set(event_target_value(&ev)) required />
                </label>
                {field_error(error, "codes")}
                <label>
                    {t!(i18n, field.title)}
                    <input type="text" name="title" maxlength="100" value=title required />
                </label>
                {field_error(error, "title")}
                <label>
                    {t!(i18n, item.measure)}
                    <textarea name="measure" rows="3" maxlength="2000" required></textarea>
                </label>
                {field_error(error, "measure")}
                <label>
                    {t!(i18n, item.lead_unit)}
                    <select name="unit_id" required>
                        <option value="">{t!(i18n, field.choose)}</option>
                        {units.into_iter().map(|u| view! { <option value=u.id>{u.name}</option> }).collect_view()}
                    </select>
                </label>
                {field_error(error, "unit_id")}
                <button type="submit">{t!(i18n, item.create)}</button>
            </ActionForm>
        </section>
    }
    .into_any()
}
