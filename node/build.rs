//! Node-API link flags (none needed beyond napi-build's on Linux).
fn main() {
    napi_build::setup();
}
