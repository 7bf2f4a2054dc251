//! The browser's entry point: leptos's hydration script calls `hydrate`
//! once the WASM has loaded.
// The hydrated view types are deeply nested: compiling them (here, where
// the WASM is built) needs the same limit as `app`.
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
