//! Where the set-up script put the tools (all inside the checkout, git-ignored).

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives one level below the repository root")
        .to_path_buf()
}

/// `.tools/` at the repository root.
pub fn tools_dir() -> PathBuf {
    repo_root().join(".tools")
}

/// The livekit-server binary built by `scripts/setup.sh`.
pub fn livekit_server_bin() -> PathBuf {
    tools_dir().join("bin").join("livekit-server")
}

/// The Python interpreter of the project venv (has the official `livekit` SDK).
pub fn python() -> PathBuf {
    repo_root().join(".venv").join("bin").join("python")
}

/// The ONNX Runtime shared library copied from the `onnxruntime` wheel.
pub fn onnxruntime_lib() -> PathBuf {
    tools_dir().join("onnx").join("libonnxruntime.so")
}

/// The Silero VAD model copied from the `silero-vad` wheel.
pub fn silero_model() -> PathBuf {
    tools_dir().join("onnx").join("silero_vad.onnx")
}
