//! Exports fetched in the page, so a progress bar can count what has
//! arrived: lines of a CSV against the total the page announced, bytes of
//! an XLSX against its length. The file is then saved under the name the
//! server gave it. Without JavaScript the links are plain downloads.

use leptos::prelude::*;

/// What has arrived, what is expected, and whether the file was saved.
pub type Progress = RwSignal<Option<(u64, u64, bool)>>;

#[cfg(not(feature = "hydrate"))]
pub fn with_progress(_href: String, _total: i64, _progress: Progress) {}

#[cfg(feature = "hydrate")]
pub fn with_progress(href: String, total: i64, progress: Progress) {
    leptos::task::spawn_local(async move {
        if fetch(&href, total, progress).await.is_err() {
            // The browser's own download still works (and shows the server's reason).
            progress.set(None);
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_href(&href);
            }
        }
    });
}

#[cfg(feature = "hydrate")]
async fn fetch(href: &str, total: i64, progress: Progress) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str(href))
        .await?
        .dyn_into()?;
    if !resp.ok() {
        return Err(JsValue::NULL);
    }
    let headers = resp.headers();
    let csv = href.contains(".csv");
    let length: u64 = headers
        .get("content-length")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let expected = if csv {
        u64::try_from(total).unwrap_or(0)
    } else {
        length
    };
    let filename = headers
        .get("content-disposition")?
        .and_then(|d| {
            d.split("filename=")
                .nth(1)
                .map(|s| s.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| "export".into());
    let reader: web_sys::ReadableStreamDefaultReader =
        resp.body().ok_or(JsValue::NULL)?.get_reader().dyn_into()?;
    let chunks = js_sys::Array::new();
    let (mut bytes, mut lines) = (0u64, 0u64);
    progress.set(Some((0, expected, false)));
    loop {
        let result = JsFuture::from(reader.read()).await?;
        if js_sys::Reflect::get(&result, &"done".into())?
            .as_bool()
            .unwrap_or(true)
        {
            break;
        }
        let chunk: js_sys::Uint8Array =
            js_sys::Reflect::get(&result, &"value".into())?.dyn_into()?;
        bytes += u64::from(chunk.length());
        chunks.push(&chunk);
        if csv {
            lines += chunk.to_vec().iter().filter(|b| **b == b'\n').count() as u64;
        }
        // The heading line is not a case; a description with line breaks may
        // overcount, so the count stops at the total.
        let done = if csv { lines.saturating_sub(1) } else { bytes };
        progress.set(Some((done.min(expected), expected, false)));
    }
    let blob = web_sys::Blob::new_with_u8_array_sequence(&chunks)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let a: web_sys::HtmlAnchorElement = window
        .document()
        .ok_or(JsValue::NULL)?
        .create_element("a")?
        .dyn_into()?;
    a.set_href(&url);
    a.set_download(&filename);
    a.click();
    // The browser reads the blob after the click returns: free it later.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    progress.set(Some((expected, expected, true)));
    Ok(())
}
