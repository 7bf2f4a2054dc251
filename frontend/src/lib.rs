//! The browser's entry point: leptos's hydration script calls `hydrate`
//! once the WASM has loaded.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
