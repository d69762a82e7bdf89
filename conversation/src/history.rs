//! The conversation history sent to the LLM: only words that were actually said and heard.

/// Who said it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Agent,
    Candidate,
}

/// One message. `interrupted` marks an agent message cut off by the candidate: `text`
/// then holds only the words the candidate heard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub role: Role,
    pub text: String,
    pub interrupted: bool,
}

/// Ordered messages of the conversation.
#[derive(Clone, Debug, Default)]
pub struct History {
    messages: Vec<Message>,
}

impl History {
    /// Appends a message; empty text is skipped.
    pub fn push(&mut self, role: Role, text: &str, interrupted: bool) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.messages.push(Message {
            role,
            text: text.to_owned(),
            interrupted,
        });
    }

    /// All messages in order.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }
}
