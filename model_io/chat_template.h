// Chat templates: a conversation (a system prompt, then user turns and the model's answers) as
// the text an instruct model was trained on, with its own control tokens around each turn.
//
// ingot does not run Jinja. A model's tokenizer.chat_template is recognized by the family its
// text belongs to, and each family is written here from its published format (as llama.cpp's
// llm_chat_apply_template does):
//   chatml  Qwen 2/2.5/3, SmolLM2 and others (with the template's default system prompt when the
//           conversation has none):
//             <|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n
//             <|im_start|>assistant\n{answer}<|im_end|>\n ... <|im_start|>assistant\n
//   llama3  <|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|> per message, then
//           <|start_header_id|>assistant<|end_header_id|>\n\n (BOS comes from the tokenizer)
//   gemma   <start_of_turn>user\n{content}<end_of_turn>\n, the model's turns as "model"; a
//           system prompt joins the first user turn ("{system}\n\n{user}")
//   phi3    <|system|>\n{system}<|end|>\n<|user|>\n{user}<|end|>\n<|assistant|>\n{answer}<|end|>\n
//           ... <|assistant|>\n
//   llama2  Llama 2 / Mistral: [INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST]{answer}</s>
//           [INST] {user} [/INST] (no <<SYS>> block when the template has none: the system
//           prompt then starts the first turn; "<s>[INST]" between turns when the template puts
//           BOS there)
// The content of each message is marked: it is never searched for control tokens, so a user
// who types "<|im_end|>" gets those characters, not a control token (Tokenizer::EncodeChat).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ingot {

enum class ChatFormat { kChatMl, kLlama3, kGemma, kPhi3, kLlama2 };

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

// A formatted conversation: the text, and the byte ranges [begin, end) of it that are message
// content (taken as plain text), in order. Everything else is the template's.
struct ChatText {
  std::string text;
  std::vector<std::pair<size_t, size_t>> content;
  std::vector<size_t> message_end;  // [messages] where each message's content ends in text

  // The text from byte `from` on, its content ranges cut to it (a session that holds the
  // conversation up to `from` needs only this).
  ChatText Tail(size_t from) const;
};

// The family a tokenizer.chat_template's text belongs to, by the control tokens and markers it
// writes; nullopt when it is none of them.
std::optional<ChatFormat> DetectChatFormat(std::string_view chat_template);
// "chatml", "llama3", "gemma", "phi3", "llama2" (also "mistral" for llama2); nullopt otherwise.
std::optional<ChatFormat> ChatFormatByName(std::string_view name);
const char* ChatFormatName(ChatFormat format);
std::string ChatFormatNames();  // "chatml, llama3, gemma, phi3, llama2"

// Options a template's text decides within its family (llama2 only so far).
struct ChatFormatOptions {
  bool llama2_system_block = true;  // <<SYS>> ... <</SYS>> (the template contains "<<SYS>>")
  bool llama2_bos_between_turns = false;  // "<s>[INST]" after the first turn (bos_token + '[INST]')
  // chatml: the system prompt the template writes when the conversation has none (Qwen 2's
  // '<|im_start|>system\nYou are a helpful assistant<|im_end|>\n'); "" for none.
  std::string default_system;
};
ChatFormatOptions ChatFormatOptionsOf(std::string_view chat_template);

// The conversation in the format; with add_generation_prompt, the opening of the model's next
// turn. Error for a role other than system, user or assistant, or a system message that is not
// the first.
ChatText FormatChat(ChatFormat format, const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                    const ChatFormatOptions& options = {});

}  // namespace ingot
