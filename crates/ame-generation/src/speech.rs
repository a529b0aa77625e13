//! Text-to-speech for voice ads.
//!
//! Speech is synthesized by local command-line engines: [`EspeakNg`] (the Debian package
//! `espeak-ng`) or [`Piper`] (the `piper` command from the PyPI package `piper-tts` with an ONNX
//! voice model). The engines run as child processes without a shell; the text goes in on
//! standard input, never as an argument, so text that looks like an option or a shell command is
//! spoken like any other words. Every result is checked by decoding the WAV with `hound`.

use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// Spoken words per second that scripts are sized for.
pub const WORDS_PER_SECOND: f64 = 2.5;

/// Longest text, in characters, that a synthesizer accepts.
pub const MAX_TEXT_CHARS: usize = 5_000;

/// How long a synthesizer may run before it is stopped, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest WAV file, in bytes, accepted from an engine.
const MAX_WAV_BYTES: u64 = 64 * 1024 * 1024;

/// Most characters of an engine's error output kept in an error.
const MAX_STDERR_CHARS: usize = 2_000;

/// Synthesized speech: a WAV file and facts about it.
#[derive(Clone, PartialEq, Eq)]
pub struct Speech {
    /// The complete WAV file.
    pub wav: Vec<u8>,
    /// Playing time in milliseconds.
    pub duration_ms: u64,
    /// Samples per second.
    pub sample_rate: u32,
    /// Number of channels.
    pub channels: u16,
    /// The voice that spoke it.
    pub voice: String,
}

impl fmt::Debug for Speech {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Speech")
            .field("wav_bytes", &self.wav.len())
            .field("duration_ms", &self.duration_ms)
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .field("voice", &self.voice)
            .finish()
    }
}

/// Why speech could not be synthesized.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    /// The engine is not installed or cannot be started.
    #[error("speech provider {provider} is unavailable: {reason}")]
    Unavailable {
        /// The provider name.
        provider: String,
        /// What is missing and how to install it.
        reason: String,
    },
    /// The text has nothing to speak.
    #[error("nothing to speak: the text is empty or only whitespace and control characters")]
    EmptyText,
    /// The text is longer than [`MAX_TEXT_CHARS`].
    #[error("text is too long to speak: {chars} characters, at most {max} are allowed")]
    TextTooLong {
        /// Characters in the text.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// The engine ran longer than its timeout and was stopped.
    #[error("speech provider {provider} did not finish within {} ms and was stopped", timeout.as_millis())]
    Timeout {
        /// The provider name.
        provider: String,
        /// The time it was given.
        timeout: Duration,
    },
    /// The engine exited unsuccessfully.
    #[error("speech provider {provider} failed ({status}): {stderr}")]
    Failed {
        /// The provider name.
        provider: String,
        /// How it exited.
        status: String,
        /// Its error output, trimmed and shortened.
        stderr: String,
    },
    /// The engine's output is not a usable WAV file.
    #[error("invalid WAV audio: {0}")]
    InvalidWav(String),
    /// Talking to the engine or its output file failed.
    #[error("speech synthesis I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Turns text into speech.
#[async_trait::async_trait]
pub trait SpeechSynthesizer: Send + Sync + fmt::Debug {
    /// Short provider name recorded in asset metadata, e.g. "espeak-ng".
    fn provider(&self) -> &str;
    /// The voice used.
    fn voice(&self) -> &str;
    /// Speaks `text` (plain text; no markup) into a WAV.
    async fn synthesize(&self, text: &str) -> Result<Speech, SpeechError>;
    /// Speaks `text` at `pace` times the usual speed (above 1 is faster), so a script can be
    /// fitted to an ad's duration. Engines that cannot change speed speak at their own.
    async fn synthesize_paced(&self, text: &str, pace: f64) -> Result<Speech, SpeechError> {
        let _ = pace;
        self.synthesize(text).await
    }
}

/// The eSpeak NG speech engine (Debian package `espeak-ng`).
#[derive(Debug, Clone)]
pub struct EspeakNg {
    program: PathBuf,
    voice: String,
    words_per_minute: u32,
    timeout: Duration,
}

impl Default for EspeakNg {
    fn default() -> Self {
        Self::new()
    }
}

impl EspeakNg {
    /// Provider name recorded in metadata.
    pub const PROVIDER: &'static str = "espeak-ng";

    /// `espeak-ng` from `PATH`, voice `en-us`, 150 words per minute ([`WORDS_PER_SECOND`]).
    pub fn new() -> Self {
        Self {
            program: PathBuf::from("espeak-ng"),
            voice: "en-us".to_owned(),
            words_per_minute: 150,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Uses another `espeak-ng` executable.
    pub fn with_program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    /// Uses another voice (an `espeak-ng -v` name such as `en-gb`).
    pub fn with_voice(mut self, voice: impl Into<String>) -> Self {
        self.voice = voice.into();
        self
    }

    /// Speaks at another rate.
    pub fn with_words_per_minute(mut self, words_per_minute: u32) -> Self {
        self.words_per_minute = words_per_minute;
        self
    }

    /// Stops the engine after `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether the program runs (`espeak-ng --version` succeeds within a few seconds).
    pub async fn available(&self) -> bool {
        let mut command = Command::new(&self.program);
        command
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let Ok(child) = command.spawn() else {
            return false;
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(5), child.wait_with_output()).await,
            Ok(Ok(output)) if output.status.success()
        )
    }
}

#[async_trait::async_trait]
impl SpeechSynthesizer for EspeakNg {
    fn provider(&self) -> &str {
        Self::PROVIDER
    }

    fn voice(&self) -> &str {
        &self.voice
    }

    async fn synthesize(&self, text: &str) -> Result<Speech, SpeechError> {
        self.synthesize_paced(text, 1.0).await
    }

    async fn synthesize_paced(&self, text: &str, pace: f64) -> Result<Speech, SpeechError> {
        let text = prepare_text(text)?;
        let output = TempWav::create()?;
        let pace = if pace.is_finite() {
            pace.clamp(0.5, 2.0)
        } else {
            1.0
        };
        let words_per_minute = (f64::from(self.words_per_minute) * pace).round() as u32;
        let mut command = Command::new(&self.program);
        command
            .arg("--stdin")
            .args(["-b", "1"])
            .arg("-v")
            .arg(&self.voice)
            .arg("-s")
            .arg(words_per_minute.to_string())
            .arg("-w")
            .arg(output.path());
        let engine = Engine {
            provider: Self::PROVIDER,
            program: &self.program,
            install_hint: "install the Debian package `espeak-ng` (`cargo xtask test` does it)",
            timeout: self.timeout,
        };
        engine.speak(command, &text, output, &self.voice).await
    }
}

/// The Piper neural speech engine: the `piper` command (PyPI package `piper-tts`) and a voice.
#[derive(Debug, Clone)]
pub struct Piper {
    program: PathBuf,
    model: PathBuf,
    voice: String,
    timeout: Duration,
}

impl Piper {
    /// Provider name recorded in metadata.
    pub const PROVIDER: &'static str = "piper";

    /// Runs `program` (the `piper` command) with the ONNX voice `model`; the voice name is the
    /// model's file name without extension.
    pub fn new(program: PathBuf, model: PathBuf) -> Self {
        let voice = model
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| model.to_string_lossy().into_owned());
        Self {
            program,
            model,
            voice,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Stops the engine after `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[async_trait::async_trait]
impl SpeechSynthesizer for Piper {
    fn provider(&self) -> &str {
        Self::PROVIDER
    }

    fn voice(&self) -> &str {
        &self.voice
    }

    async fn synthesize(&self, text: &str) -> Result<Speech, SpeechError> {
        let text = prepare_text(text)?;
        let output = TempWav::create()?;
        let mut command = Command::new(&self.program);
        command
            .arg("--model")
            .arg(&self.model)
            .arg("--output_file")
            .arg(output.path());
        let engine = Engine {
            provider: Self::PROVIDER,
            program: &self.program,
            install_hint: "install the PyPI package `piper-tts` (`pip install piper-tts`)",
            timeout: self.timeout,
        };
        engine.speak(command, &text, output, &self.voice).await
    }
}

/// Duration in milliseconds, sample rate and channel count of a WAV file, after checking that
/// every sample decodes and that there is at least one.
pub fn wav_facts(bytes: &[u8]) -> Result<(u64, u32, u16), SpeechError> {
    let reader = hound::WavReader::new(std::io::Cursor::new(bytes))
        .map_err(|e| SpeechError::InvalidWav(e.to_string()))?;
    let spec = reader.spec();
    if spec.sample_rate == 0 || spec.channels == 0 {
        return Err(SpeechError::InvalidWav(format!(
            "sample rate {} with {} channels",
            spec.sample_rate, spec.channels
        )));
    }
    let frames = u64::from(reader.duration());
    let decoded = match spec.sample_format {
        hound::SampleFormat::Int => count_samples(reader.into_samples::<i32>()),
        hound::SampleFormat::Float => count_samples(reader.into_samples::<f32>()),
    }?;
    if decoded == 0 {
        return Err(SpeechError::InvalidWav("no audio samples".to_owned()));
    }
    Ok((
        frames * 1000 / u64::from(spec.sample_rate),
        spec.sample_rate,
        spec.channels,
    ))
}

fn count_samples<S, R>(samples: hound::WavIntoSamples<R, S>) -> Result<u64, SpeechError>
where
    S: hound::Sample,
    R: std::io::Read,
{
    let mut count = 0;
    for sample in samples {
        sample.map_err(|e| SpeechError::InvalidWav(e.to_string()))?;
        count += 1;
    }
    Ok(count)
}

/// Playing time of `text` spoken at [`WORDS_PER_SECOND`], in milliseconds.
pub fn estimated_duration_ms(text: &str) -> u64 {
    let words = text.split_whitespace().count();
    // Word counts are far below 2^52, so the conversion is exact.
    (words as f64 / WORDS_PER_SECOND * 1000.0).round() as u64
}

/// The text to speak: control characters (including line breaks) become spaces, runs of
/// whitespace collapse, and the result must be non-empty and at most [`MAX_TEXT_CHARS`] long.
fn prepare_text(text: &str) -> Result<String, SpeechError> {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    if words.is_empty() {
        return Err(SpeechError::EmptyText);
    }
    let prepared = words.join(" ");
    let chars = prepared.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(SpeechError::TextTooLong {
            chars,
            max: MAX_TEXT_CHARS,
        });
    }
    Ok(prepared)
}

/// How to run one engine and report its failures.
struct Engine<'a> {
    provider: &'a str,
    program: &'a Path,
    install_hint: &'a str,
    timeout: Duration,
}

impl Engine<'_> {
    /// Runs `command` with `text` on standard input and reads the WAV it writes to `output`.
    async fn speak(
        &self,
        mut command: Command,
        text: &str,
        output: TempWav,
        voice: &str,
    ) -> Result<Speech, SpeechError> {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = self.spawn(&mut command).await?;
        let stdin = child.stdin.take();
        let run = async {
            let feed = async {
                if let Some(mut stdin) = stdin {
                    // An engine that exits without reading reports through its exit status.
                    match stdin.write_all(text.as_bytes()).await {
                        Err(e) if e.kind() != ErrorKind::BrokenPipe => return Err(e),
                        _ => {}
                    }
                    match stdin.shutdown().await {
                        Err(e) if e.kind() != ErrorKind::BrokenPipe => return Err(e),
                        _ => {}
                    }
                }
                Ok(())
            };
            let (fed, finished) = tokio::join!(feed, child.wait_with_output());
            fed?;
            finished
        };
        // On timeout the child is dropped, and `kill_on_drop` stops it.
        let finished = tokio::time::timeout(self.timeout, run)
            .await
            .map_err(|_| SpeechError::Timeout {
                provider: self.provider.to_owned(),
                timeout: self.timeout,
            })??;
        if !finished.status.success() {
            return Err(SpeechError::Failed {
                provider: self.provider.to_owned(),
                status: finished.status.to_string(),
                stderr: bounded_stderr(&finished.stderr),
            });
        }
        let wav = output.read().await?;
        let (duration_ms, sample_rate, channels) = wav_facts(&wav)?;
        tracing::debug!(
            provider = self.provider,
            voice,
            chars = text.chars().count(),
            duration_ms,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "synthesized speech"
        );
        Ok(Speech {
            wav,
            duration_ms,
            sample_rate,
            channels,
            voice: voice.to_owned(),
        })
    }

    /// Starts the engine. A freshly written executable can be briefly busy (another thread's
    /// fork may still hold it open for writing), so that case is retried for a moment.
    async fn spawn(&self, command: &mut Command) -> Result<tokio::process::Child, SpeechError> {
        let mut attempts = 0;
        loop {
            match command.spawn() {
                Ok(child) => return Ok(child),
                Err(e) if e.kind() == ErrorKind::ExecutableFileBusy && attempts < 20 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::PermissionDenied) => {
                    return Err(SpeechError::Unavailable {
                        provider: self.provider.to_owned(),
                        reason: format!(
                            "cannot run `{}` ({e}); {}",
                            self.program.display(),
                            self.install_hint
                        ),
                    });
                }
                Err(e) => return Err(SpeechError::Io(e)),
            }
        }
    }
}

/// Trimmed error output, shortened to [`MAX_STDERR_CHARS`].
fn bounded_stderr(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.is_empty() {
        return "no error output".to_owned();
    }
    match text.char_indices().nth(MAX_STDERR_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A fresh, empty file for an engine's WAV output, removed when dropped.
struct TempWav {
    path: PathBuf,
}

impl TempWav {
    fn create() -> Result<Self, SpeechError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let mut attempt = 0;
        loop {
            let path = std::env::temp_dir().join(format!(
                "ame-speech-{}-{}-{nanos}.wav",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            // `create_new` refuses existing files and symlinks, so nobody else owns the name.
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(Self { path }),
                Err(e) if e.kind() == ErrorKind::AlreadyExists && attempt < 10 => attempt += 1,
                Err(e) => return Err(SpeechError::Io(e)),
            }
        }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    async fn read(&self) -> Result<Vec<u8>, SpeechError> {
        let size = tokio::fs::metadata(&self.path).await?.len();
        if size == 0 {
            return Err(SpeechError::InvalidWav(
                "the engine wrote no audio".to_owned(),
            ));
        }
        if size > MAX_WAV_BYTES {
            return Err(SpeechError::InvalidWav(format!(
                "the engine wrote {size} bytes, more than the {MAX_WAV_BYTES} allowed"
            )));
        }
        Ok(tokio::fs::read(&self.path).await?)
    }
}

impl Drop for TempWav {
    fn drop(&mut self) {
        // The file may already be gone; nothing else can be done about a failure here.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const TWENTY_WORDS: &str = "Our spring sale starts Monday. Every plan is twenty percent off \
        for new customers, so call us today and save.";

    const THIRTY_SECONDS: &str = "Tired of losing clients to the competition? Our retention \
        program keeps your best customers coming back. We track every interaction, spot the \
        warning signs early, and send the right message at the right time. Businesses like yours \
        have cut churn by a third in six months. No contracts, no setup fees, and a dedicated \
        advisor who knows your market. Call today for a free review of your client list.";

    /// eSpeak NG, failing (not skipping) when it is not installed.
    async fn espeak() -> EspeakNg {
        let engine = EspeakNg::new();
        assert!(
            engine.available().await,
            "espeak-ng is not installed; run `cargo xtask test`, which installs it \
             (or `apt-get install espeak-ng`)"
        );
        engine
    }

    /// A WAV of `frames` frames of a quiet tone, made with hound.
    fn fixture_wav(sample_rate: u32, channels: u16, frames: u32) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels,
            sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut bytes = std::io::Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut bytes, spec).unwrap();
        for frame in 0..frames {
            for _ in 0..channels {
                writer
                    .write_sample(((frame % 100) as i16 - 50) * 100)
                    .unwrap();
            }
        }
        writer.finalize().unwrap();
        bytes.into_inner()
    }

    /// Writes an executable shell script.
    fn write_script(path: &Path, body: &str) {
        std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[tokio::test]
    async fn espeak_renders_a_script_near_its_estimated_duration() {
        let engine = espeak().await;
        assert_eq!(TWENTY_WORDS.split_whitespace().count(), 20);
        let speech = engine.synthesize(TWENTY_WORDS).await.unwrap();
        let estimate = estimated_duration_ms(TWENTY_WORDS);
        assert_eq!(estimate, 8_000);
        let (duration_ms, sample_rate, channels) = wav_facts(&speech.wav).unwrap();
        assert_eq!(
            (duration_ms, sample_rate, channels),
            (speech.duration_ms, speech.sample_rate, speech.channels)
        );
        assert!(
            speech.duration_ms.abs_diff(estimate) * 10 <= estimate * 3,
            "{} ms spoken, {estimate} ms estimated",
            speech.duration_ms
        );
        assert!(speech.sample_rate >= 8_000);
        assert_eq!(speech.channels, 1);
        assert_eq!(speech.voice, "en-us");
        assert_eq!(engine.provider(), "espeak-ng");
    }

    #[tokio::test]
    async fn espeak_renders_a_thirty_second_script_quickly() {
        let engine = espeak().await;
        let estimate = estimated_duration_ms(THIRTY_SECONDS);
        assert!((25_000..=35_000).contains(&estimate), "{estimate}");
        let started = Instant::now();
        let speech = engine.synthesize(THIRTY_SECONDS).await.unwrap();
        let elapsed = started.elapsed();
        assert!(
            speech.duration_ms.abs_diff(estimate) * 10 <= estimate * 3,
            "{} ms spoken, {estimate} ms estimated",
            speech.duration_ms
        );
        assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    }

    #[tokio::test]
    async fn espeak_speaks_option_and_shell_like_text_literally() {
        let engine = espeak().await;
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("pwned");
        let marker = marker.display();
        let texts = [
            "--help".to_owned(),
            "--version".to_owned(),
            "-w /tmp/elsewhere.wav --stdout -v xx".to_owned(),
            format!("Say \"hello\" and 'bye' $(touch {marker}) `touch {marker}`; touch {marker}"),
            "$(rm -rf /) && rm -rf / | cat > /dev/null".to_owned(),
            "Big savings 🎉🚀 today ✨ café".to_owned(),
            "<speak>markup</speak> &amp; \\n \u{1b}[31m red".to_owned(),
        ];
        for text in &texts {
            let speech = engine
                .synthesize(text)
                .await
                .unwrap_or_else(|e| panic!("{text:?}: {e}"));
            let (duration_ms, _, _) = wav_facts(&speech.wav).unwrap();
            assert!(duration_ms >= 200, "{text:?} gave {duration_ms} ms");
        }
        assert!(!dir.path().join("pwned").exists());
        assert!(!Path::new("/tmp/elsewhere.wav").exists());
    }

    #[tokio::test]
    async fn longer_text_gives_longer_speech() {
        let engine = espeak().await;
        let short = engine.synthesize("Call today.").await.unwrap();
        let long = engine.synthesize(THIRTY_SECONDS).await.unwrap();
        assert!(long.duration_ms > short.duration_ms * 5);
    }

    #[tokio::test]
    async fn empty_or_whitespace_text_is_rejected() {
        let engine = EspeakNg::new();
        for text in ["", "   ", "\n\t \r\n", "\u{0}\u{7}\u{1b}"] {
            let err = engine.synthesize(text).await.unwrap_err();
            assert!(matches!(err, SpeechError::EmptyText), "{text:?}: {err}");
            assert!(err.to_string().contains("empty"));
        }
    }

    #[tokio::test]
    async fn overlong_text_is_rejected() {
        let engine = EspeakNg::new().with_program("/nonexistent/espeak-ng");
        let text = "word ".repeat(MAX_TEXT_CHARS);
        let err = engine.synthesize(&text).await.unwrap_err();
        assert!(
            matches!(err, SpeechError::TextTooLong { max: MAX_TEXT_CHARS, chars } if chars > MAX_TEXT_CHARS),
            "{err}"
        );
        assert!(err.to_string().contains("too long"));
    }

    #[test]
    fn control_characters_are_stripped_from_the_text() {
        assert_eq!(
            prepare_text("  Call\nnow\u{0}!\u{1b}[1m\tBye  ").unwrap(),
            "Call now ! [1m Bye"
        );
        let at_limit = "a".repeat(MAX_TEXT_CHARS);
        assert_eq!(prepare_text(&at_limit).unwrap(), at_limit);
    }

    #[tokio::test]
    async fn missing_program_is_unavailable() {
        let engine = EspeakNg::new().with_program("/nonexistent/espeak-ng");
        assert!(!engine.available().await);
        let err = engine.synthesize("Hello there.").await.unwrap_err();
        let SpeechError::Unavailable { provider, reason } = &err else {
            panic!("expected Unavailable, got {err}");
        };
        assert_eq!(provider, "espeak-ng");
        assert!(reason.contains("Debian package `espeak-ng`"), "{reason}");

        let piper = Piper::new("/nonexistent/piper".into(), "/models/voice.onnx".into());
        let err = piper.synthesize("Hello there.").await.unwrap_err();
        assert!(
            matches!(&err, SpeechError::Unavailable { provider, reason }
                if provider == "piper" && reason.contains("piper-tts")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn piper_passes_the_model_and_output_file_and_reads_the_wav() {
        let dir = tempfile::tempdir().unwrap();
        let fixture = fixture_wav(22_050, 1, 33_075);
        std::fs::write(dir.path().join("fixture.wav"), &fixture).unwrap();
        let d = dir.path().display();
        let program = dir.path().join("piper");
        write_script(
            &program,
            &format!(
                r#"printf '%s\n' "$@" > "{d}/args.txt"
cat > "{d}/stdin.txt"
out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--output_file" ]; then out="$2"; fi
  shift
done
cp "{d}/fixture.wav" "$out""#
            ),
        );
        let model = dir.path().join("en_US-lessac-medium.onnx");
        let piper = Piper::new(program, model.clone());
        assert_eq!(piper.voice(), "en_US-lessac-medium");
        assert_eq!(piper.provider(), "piper");

        let text = "--help me\nsave $(rm -rf /) \"now\" 🎉";
        let speech = piper.synthesize(text).await.unwrap();

        assert_eq!(speech.wav, fixture);
        assert_eq!(speech.duration_ms, 1_500);
        assert_eq!(speech.sample_rate, 22_050);
        assert_eq!(speech.channels, 1);
        assert_eq!(speech.voice, "en_US-lessac-medium");
        let args = std::fs::read_to_string(dir.path().join("args.txt")).unwrap();
        let args: Vec<&str> = args.lines().collect();
        assert_eq!(args.len(), 4, "{args:?}");
        assert_eq!(
            args[..3],
            ["--model", &model.display().to_string(), "--output_file"]
        );
        assert!(args[3].ends_with(".wav"), "{args:?}");
        assert!(
            !Path::new(args[3]).exists(),
            "the temporary output file is removed"
        );
        let stdin = std::fs::read_to_string(dir.path().join("stdin.txt")).unwrap();
        assert_eq!(stdin, "--help me save $(rm -rf /) \"now\" 🎉");
    }

    #[tokio::test]
    async fn failing_program_reports_its_exit_and_error_output() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("piper");
        let noise = "x".repeat(10_000);
        write_script(
            &program,
            &format!("cat > /dev/null\necho '  model not found {noise}' >&2\nexit 3"),
        );
        let piper = Piper::new(program, dir.path().join("voice.onnx"));
        let err = piper.synthesize("Hello.").await.unwrap_err();
        let SpeechError::Failed {
            provider,
            status,
            stderr,
        } = &err
        else {
            panic!("expected Failed, got {err}");
        };
        assert_eq!(provider, "piper");
        assert!(status.contains('3'), "{status}");
        assert!(stderr.starts_with("model not found"), "{stderr}");
        assert!(stderr.chars().count() <= MAX_STDERR_CHARS + 1);
    }

    #[tokio::test]
    async fn program_writing_garbage_is_an_invalid_wav() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("piper");
        write_script(
            &program,
            r#"cat > /dev/null
echo 'this is not audio' > "$4""#,
        );
        let piper = Piper::new(program, dir.path().join("voice.onnx"));
        let err = piper.synthesize("Hello.").await.unwrap_err();
        assert!(matches!(err, SpeechError::InvalidWav(_)), "{err}");

        let silent = dir.path().join("silent");
        write_script(&silent, "cat > /dev/null");
        let err = Piper::new(silent, dir.path().join("voice.onnx"))
            .synthesize("Hello.")
            .await
            .unwrap_err();
        assert!(matches!(err, SpeechError::InvalidWav(_)), "{err}");
    }

    #[tokio::test]
    async fn slow_program_times_out_and_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("espeak-ng");
        write_script(&program, "exec sleep 30");
        let engine = EspeakNg::new()
            .with_program(&program)
            .with_timeout(Duration::from_millis(300));
        let started = Instant::now();
        let err = engine.synthesize("Hello.").await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let SpeechError::Timeout { provider, timeout } = &err else {
            panic!("expected Timeout, got {err}");
        };
        assert_eq!(provider, "espeak-ng");
        assert_eq!(*timeout, Duration::from_millis(300));
        assert!(err.to_string().contains("300 ms"), "{err}");
    }

    #[test]
    fn wav_facts_reads_hound_output_and_rejects_garbage() {
        let stereo = fixture_wav(8_000, 2, 4_000);
        assert_eq!(wav_facts(&stereo).unwrap(), (500, 8_000, 2));

        for bytes in [
            &b""[..],
            &b"not a wav file at all"[..],
            &[0u8; 64][..],
            &fixture_wav(8_000, 1, 0)[..],
            &stereo[..stereo.len() / 2],
        ] {
            let err = wav_facts(bytes).unwrap_err();
            assert!(matches!(err, SpeechError::InvalidWav(_)), "{err}");
        }
    }

    #[test]
    fn estimates_follow_words_per_second() {
        assert_eq!(estimated_duration_ms(""), 0);
        assert_eq!(estimated_duration_ms("one"), 400);
        assert_eq!(estimated_duration_ms(" one  two\nthree four five "), 2_000);
        assert_eq!(estimated_duration_ms(&"word ".repeat(75)), 30_000);
    }

    #[test]
    fn bounded_stderr_trims_and_shortens() {
        assert_eq!(bounded_stderr(b"  oops \n"), "oops");
        assert_eq!(bounded_stderr(b" \n"), "no error output");
        let long = "é".repeat(MAX_STDERR_CHARS * 2);
        let bounded = bounded_stderr(long.as_bytes());
        assert_eq!(bounded.chars().count(), MAX_STDERR_CHARS + 1);
        assert!(bounded.ends_with('…'));
    }
}
