//! The C calls, resolved from the shared libraries at run time. The only unsafe code of
//! the workspace lives here; each call's contract is stated where it is made.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int, c_void};

use crate::{Error, Segment};

type Ptr = *mut c_void;

/// A decoder and its configuration, owned by one [`crate::Decoder`].
pub(crate) struct Raw {
    ps: Ptr,
    config: Ptr,
}

// SAFETY: pocketsphinx keeps no thread-local state; a decoder may move between threads as
// long as one thread uses it at a time, which `&mut`/ownership of `Decoder` guarantees.
unsafe impl Send for Raw {}

pub(crate) struct Api {
    // Kept open for as long as the function pointers below are used.
    _ps: libloading::Library,
    _base: libloading::Library,
    ps_args: unsafe extern "C" fn() -> *const c_void,
    cmd_ln_parse_r: unsafe extern "C" fn(Ptr, *const c_void, i32, *const *const c_char, i32) -> Ptr,
    cmd_ln_free_r: unsafe extern "C" fn(Ptr) -> c_int,
    ps_init: unsafe extern "C" fn(Ptr) -> Ptr,
    ps_free: unsafe extern "C" fn(Ptr) -> c_int,
    ps_start_utt: unsafe extern "C" fn(Ptr) -> c_int,
    ps_end_utt: unsafe extern "C" fn(Ptr) -> c_int,
    ps_process_raw: unsafe extern "C" fn(Ptr, *const i16, usize, c_int, c_int) -> c_int,
    ps_get_in_speech: unsafe extern "C" fn(Ptr) -> u8,
    ps_get_hyp: unsafe extern "C" fn(Ptr, *mut i32) -> *const c_char,
    ps_seg_iter: unsafe extern "C" fn(Ptr) -> Ptr,
    ps_seg_next: unsafe extern "C" fn(Ptr) -> Ptr,
    ps_seg_word: unsafe extern "C" fn(Ptr) -> *const c_char,
    ps_seg_frames: unsafe extern "C" fn(Ptr, *mut c_int, *mut c_int),
    ps_seg_prob: unsafe extern "C" fn(Ptr, *mut i32, *mut i32, *mut i32) -> i32,
    ps_get_logmath: unsafe extern "C" fn(Ptr) -> Ptr,
    logmath_exp: unsafe extern "C" fn(Ptr, c_int) -> f64,
}

fn open(name: &str) -> Result<libloading::Library, Error> {
    // SAFETY: loading runs the library's initialisers; libpocketsphinx and libsphinxbase
    // have none beyond the C runtime's.
    unsafe { libloading::Library::new(name) }.map_err(|e| Error::Library {
        library: name.to_owned(),
        reason: e.to_string(),
    })
}

macro_rules! symbol {
    ($lib:expr, $name:literal) => {{
        // SAFETY: the type written at the field matches the C prototype in Debian's
        // pocketsphinx.h / sphinxbase headers of version 5prealpha.
        let symbol =
            unsafe { $lib.get(concat!($name, "\0").as_bytes()) }.map_err(|e| Error::Library {
                library: $name.to_owned(),
                reason: e.to_string(),
            })?;
        *symbol
    }};
}

impl Api {
    pub(crate) fn load(library: &str, base: &str) -> Result<Self, Error> {
        let ps = open(library)?;
        let sb = open(base)?;
        Ok(Self {
            ps_args: symbol!(ps, "ps_args"),
            cmd_ln_parse_r: symbol!(sb, "cmd_ln_parse_r"),
            cmd_ln_free_r: symbol!(sb, "cmd_ln_free_r"),
            ps_init: symbol!(ps, "ps_init"),
            ps_free: symbol!(ps, "ps_free"),
            ps_start_utt: symbol!(ps, "ps_start_utt"),
            ps_end_utt: symbol!(ps, "ps_end_utt"),
            ps_process_raw: symbol!(ps, "ps_process_raw"),
            ps_get_in_speech: symbol!(ps, "ps_get_in_speech"),
            ps_get_hyp: symbol!(ps, "ps_get_hyp"),
            ps_seg_iter: symbol!(ps, "ps_seg_iter"),
            ps_seg_next: symbol!(ps, "ps_seg_next"),
            ps_seg_word: symbol!(ps, "ps_seg_word"),
            ps_seg_frames: symbol!(ps, "ps_seg_frames"),
            ps_seg_prob: symbol!(ps, "ps_seg_prob"),
            ps_get_logmath: symbol!(ps, "ps_get_logmath"),
            logmath_exp: symbol!(sb, "logmath_exp"),
            _ps: ps,
            _base: sb,
        })
    }

    /// A configured decoder from command-line style `args`.
    pub(crate) fn init(&self, args: &[CString]) -> Result<Raw, Error> {
        let argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
        let argc = i32::try_from(argv.len()).map_err(|_| Error::Call("cmd_ln_parse_r"))?;
        // SAFETY: `argv` holds `argc` NUL-terminated strings alive for the call (the parser
        // copies what it keeps); `ps_args()` is the static definition table.
        let config = unsafe {
            (self.cmd_ln_parse_r)(
                std::ptr::null_mut(),
                (self.ps_args)(),
                argc,
                argv.as_ptr(),
                1,
            )
        };
        if config.is_null() {
            return Err(Error::Call("cmd_ln_parse_r"));
        }
        // SAFETY: `config` is a valid configuration; ps_init takes its own reference.
        let ps = unsafe { (self.ps_init)(config) };
        if ps.is_null() {
            // SAFETY: we hold the one reference to `config`.
            unsafe { (self.cmd_ln_free_r)(config) };
            return Err(Error::Call("ps_init"));
        }
        Ok(Raw { ps, config })
    }

    pub(crate) fn free(&self, raw: &Raw) {
        // SAFETY: called once, from `Decoder::drop`; both pointers came from `init`.
        unsafe {
            (self.ps_free)(raw.ps);
            (self.cmd_ln_free_r)(raw.config);
        }
    }

    pub(crate) fn start_utt(&self, raw: &Raw) -> Result<(), Error> {
        // SAFETY: `raw.ps` is a live decoder.
        match unsafe { (self.ps_start_utt)(raw.ps) } {
            0 => Ok(()),
            _ => Err(Error::Call("ps_start_utt")),
        }
    }

    pub(crate) fn end_utt(&self, raw: &Raw) -> Result<(), Error> {
        // SAFETY: `raw.ps` is a live decoder in an utterance.
        match unsafe { (self.ps_end_utt)(raw.ps) } {
            0 => Ok(()),
            _ => Err(Error::Call("ps_end_utt")),
        }
    }

    pub(crate) fn process_raw(&self, raw: &Raw, samples: &[i16]) -> Result<(), Error> {
        // SAFETY: the decoder reads `samples.len()` samples from the slice during the call.
        match unsafe { (self.ps_process_raw)(raw.ps, samples.as_ptr(), samples.len(), 0, 0) } {
            n if n >= 0 => Ok(()),
            _ => Err(Error::Call("ps_process_raw")),
        }
    }

    pub(crate) fn in_speech(&self, raw: &Raw) -> bool {
        // SAFETY: `raw.ps` is a live decoder.
        unsafe { (self.ps_get_in_speech)(raw.ps) != 0 }
    }

    pub(crate) fn hyp(&self, raw: &Raw) -> Option<String> {
        let mut score = 0i32;
        // SAFETY: the returned string belongs to the decoder and is copied before any
        // other call on it.
        let text = unsafe { (self.ps_get_hyp)(raw.ps, &mut score) };
        if text.is_null() {
            return None;
        }
        // SAFETY: non-null, NUL-terminated, owned by the decoder (see above).
        Some(
            unsafe { CStr::from_ptr(text) }
                .to_string_lossy()
                .into_owned(),
        )
    }

    pub(crate) fn segments(&self, raw: &Raw) -> Vec<Segment> {
        let mut out = Vec::new();
        // SAFETY: the iterator walks the decoder's current hypothesis; `ps_seg_next`
        // frees it when it returns null, and we stop there.
        unsafe {
            let logmath = (self.ps_get_logmath)(raw.ps);
            let mut seg = (self.ps_seg_iter)(raw.ps);
            while !seg.is_null() {
                let word = (self.ps_seg_word)(seg);
                let (mut start, mut end) = (0, 0);
                (self.ps_seg_frames)(seg, &mut start, &mut end);
                let (mut ascr, mut lscr, mut lback) = (0, 0, 0);
                let prob = (self.ps_seg_prob)(seg, &mut ascr, &mut lscr, &mut lback);
                let probability = if logmath.is_null() || prob == 0 {
                    1.0
                } else {
                    (self.logmath_exp)(logmath, prob).clamp(0.0, 1.0)
                };
                if !word.is_null() {
                    out.push(Segment {
                        word: CStr::from_ptr(word).to_string_lossy().into_owned(),
                        start_frame: start,
                        end_frame: end,
                        probability,
                    });
                }
                seg = (self.ps_seg_next)(seg);
            }
        }
        out
    }
}
