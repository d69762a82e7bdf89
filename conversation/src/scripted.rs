//! A scripted responder: asks a configured list of questions in order (runs with no LLM).

/// One scripted question. `expect_thinking` gives the candidate the longer pause
/// allowances of [`crate::EndpointConfig`] for their answer.
#[derive(Clone, Debug)]
pub struct Question {
    pub text: String,
    pub expect_thinking: bool,
}

/// What the agent says next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Utterance {
    pub text: String,
    pub expect_thinking: bool,
    /// The closing line: after it the conversation is over.
    pub last: bool,
}

/// Produces the next agent utterance from a fixed plan.
#[derive(Clone, Debug)]
pub struct ScriptedResponder {
    questions: Vec<Question>,
    closing: String,
    next: usize,
}

impl ScriptedResponder {
    pub fn new(questions: Vec<Question>, closing: impl Into<String>) -> Self {
        ScriptedResponder {
            questions,
            closing: closing.into(),
            next: 0,
        }
    }

    /// The next question, then the closing line, then `None`.
    pub fn next_utterance(&mut self) -> Option<Utterance> {
        let i = self.next;
        self.next = self.next.saturating_add(1);
        if let Some(q) = self.questions.get(i) {
            return Some(Utterance {
                text: q.text.clone(),
                expect_thinking: q.expect_thinking,
                last: false,
            });
        }
        (i == self.questions.len()).then(|| Utterance {
            text: self.closing.clone(),
            expect_thinking: false,
            last: true,
        })
    }
}
