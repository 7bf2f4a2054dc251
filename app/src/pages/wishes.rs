//! Micro-wishes (微心愿): the community's list with the steps each wish can
//! take, and the public wish wall.

use crate::api::{CollectWish, WishAction, get_wall, intake_options, list_wishes};
use crate::i18n::*;
use crate::pages::layout::{ErrorNote, field_error, fmt_time, last_error};
use domain::wish::{WishAction as Step, WishStatus};
use leptos::prelude::*;

pub fn status_label(l: Locale, s: WishStatus) -> String {
    match s {
        WishStatus::Collected => td_string!(l, wish.collected),
        WishStatus::Published => td_string!(l, wish.published),
        WishStatus::Claimed => td_string!(l, wish.claimed),
        WishStatus::Fulfilled => td_string!(l, wish.fulfilled),
        WishStatus::Confirmed => td_string!(l, wish.confirmed),
        WishStatus::Withdrawn => td_string!(l, wish.withdrawn),
    }
    .to_string()
}

fn action_label(l: Locale, a: Step) -> String {
    match a {
        Step::Verify => td_string!(l, wish.verify),
        Step::Claim => td_string!(l, wish.claim),
        Step::CancelClaim => td_string!(l, wish.cancel_claim),
        Step::Fulfil => td_string!(l, wish.fulfil),
        Step::Confirm => td_string!(l, wish.confirm),
        Step::Withdraw => td_string!(l, wish.withdraw),
    }
    .to_string()
}

#[component]
pub fn Wishes() -> impl IntoView {
    let i18n = use_i18n();
    let collect = ServerAction::<CollectWish>::new();
    let step = ServerAction::<WishAction>::new();
    let wishes = Resource::new(
        move || (collect.version().get(), step.version().get()),
        |_| list_wishes(),
    );
    let options = Resource::new(|| (), |_| intake_options());
    let error = last_error(collect.value());
    let step_error = last_error(step.value());
    view! {
        <section class="wishes">
            <h1>{t!(i18n, wish.title)}</h1>
            <p class="hint">{t!(i18n, wish.intro)} " " <a href="/wall">{t!(i18n, wish.wall)}</a></p>
            <ActionForm action=collect attr:class="action card" attr:data-action="collect_wish">
                <h2>{t!(i18n, wish.collect)}</h2>
                <label>{t!(i18n, field.title)} <input type="text" name="title" maxlength="60" required /></label>
                {field_error(error, "title")}
                <label>{t!(i18n, wish.detail)} <textarea name="detail" rows="2" maxlength="500"></textarea></label>
                {field_error(error, "detail")}
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let regions = options.await.map(|o| o.regions).unwrap_or_default();
                        view! {
                            <label>
                                {t!(i18n, field.region)}
                                <select name="region_id">
                                    {regions.into_iter().map(|r| view! { <option value=r.id>{r.label}</option> }).collect_view()}
                                </select>
                            </label>
                        }
                    })}
                </Transition>
                {field_error(error, "region_id")}
                <label>{t!(i18n, field.resident_name)} <input type="text" name="resident_name" maxlength="30" autocomplete="off" required /></label>
                {field_error(error, "resident_name")}
                <label>{t!(i18n, field.resident_phone)} <input type="tel" name="resident_phone" maxlength="20" autocomplete="off" required /></label>
                {field_error(error, "resident_phone")}
                <button type="submit">{t!(i18n, wish.collect)}</button>
            </ActionForm>
            {move || step_error.get().map(|e| view! { <ErrorNote error=e /> })}
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match wishes.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(list) => view! {
                            <table class="figures" data-testid="wishes">
                                <thead>
                                    <tr>
                                        <th scope="col">{t!(i18n, field.title)}</th>
                                        <th scope="col">{t!(i18n, field.region)}</th>
                                        <th scope="col">{t!(i18n, field.resident_name)}</th>
                                        <th scope="col">{t!(i18n, field.status)}</th>
                                        <th scope="col">{t!(i18n, wish.claimant)}</th>
                                        <th scope="col">{t!(i18n, case.actions)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|w| {
                                        let status = w.status;
                                        let id = w.id;
                                        view! {
                                            <tr data-wish=id data-status=status.as_str() data-title=w.title.clone()>
                                                <td>{w.title.clone()}<br /><small>{w.detail.clone()}</small></td>
                                                <td>{w.place.clone()}</td>
                                                <td>{w.resident_name.clone()} " " {w.resident_phone.clone()}</td>
                                                <td>{move || status_label(i18n.get_locale(), status)} <br /><small>{fmt_time(w.updated_at)}</small></td>
                                                <td>{w.claimant.clone().unwrap_or_default()}</td>
                                                <td>
                                                    {w.actions.into_iter().map(|a| view! {
                                                        <ActionForm action=step attr:class="inline" attr:data-step=a.as_str()>
                                                            <input type="hidden" name="wish" value=id />
                                                            <input type="hidden" name="action" value=a.as_str() />
                                                            {(a == Step::Claim).then(|| view! {
                                                                <input type="text" name="claimant" maxlength="60" required
                                                                    placeholder=move || t_string!(i18n, wish.claimant_hint) />
                                                            })}
                                                            <button type="submit">{move || action_label(i18n.get_locale(), a)}</button>
                                                        </ActionForm>
                                                    }).collect_view()}
                                                </td>
                                            </tr>
                                        }
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

/// The public wish wall.
#[component]
pub fn Wall() -> impl IntoView {
    let i18n = use_i18n();
    let wall = Resource::new(|| (), |_| get_wall());
    view! {
        <section class="wall">
            <h1>{t!(i18n, wish.wall)}</h1>
            <p class="hint">{t!(i18n, wish.wall_intro)}</p>
            <Transition fallback=move || view! { <p>{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match wall.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(list) => view! {
                            <ul class="wall-list" data-testid="wall">
                                {list.into_iter().map(|w| {
                                    let status = w.status;
                                    view! {
                                        <li class="card" data-wish=w.id data-status=status.as_str()>
                                            <strong>{w.title.clone()}</strong>
                                            <p>{w.detail.clone()}</p>
                                            <p class="muted">
                                                {w.resident.clone()} " · " {w.place.clone()} " · "
                                                {move || status_label(i18n.get_locale(), status)}
                                                {w.claimant.clone().map(|c| format!(" · {c}"))}
                                            </p>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
