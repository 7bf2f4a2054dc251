//! The table every list of records shares (cases, accounts, API keys, the
//! audit trail, the units' ranking): one look, headings marked as column
//! headings for screen readers, and sideways scrolling inside its own box on
//! a phone instead of widening the whole page.

use leptos::prelude::*;

/// A table of records: `head` gives the headings, the children the rows.
#[component]
pub fn DataTable(
    /// What it lists, as a class beside the shared one (`cases`,
    /// `accounts`, …): the page's own styling and the journeys' handle.
    kind: &'static str,
    /// The column headings, each a `<th scope="col">`.
    #[prop(into)]
    head: ViewFn,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class=format!("data {kind}")>
                <thead>
                    <tr>{head.run()}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
