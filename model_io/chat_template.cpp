#include "model_io/chat_template.h"

#include <algorithm>
#include <array>

#include "model_io/error.h"

namespace ingot {

namespace {

struct FormatName {
  ChatFormat format;
  std::string_view name;
};
constexpr std::array<FormatName, 5> kNames = {{
    {ChatFormat::kChatMl, "chatml"},
    {ChatFormat::kLlama3, "llama3"},
    {ChatFormat::kGemma, "gemma"},
    {ChatFormat::kPhi3, "phi3"},
    {ChatFormat::kLlama2, "llama2"},
}};

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// Appends template text and message content, keeping track of which is which.
class Builder {
 public:
  Builder& Template(std::string_view text) {
    out_.text += text;
    return *this;
  }
  Builder& Content(std::string_view text) {
    const size_t begin = out_.text.size();
    out_.text += text;
    if (!text.empty()) out_.content.emplace_back(begin, out_.text.size());
    return *this;
  }
  // The message just written ends here.
  Builder& End() {
    out_.message_end.push_back(out_.text.size());
    return *this;
  }
  ChatText Take() { return std::move(out_); }

 private:
  ChatText out_;
};

void CheckRoles(const std::vector<ChatMessage>& messages) {
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& role = messages[i].role;
    if (role != "system" && role != "user" && role != "assistant") {
      throw Error("chat message " + std::to_string(i) + " has role '" + role + "' (expected system, user or assistant)");
    }
    if (role == "system" && i != 0) throw Error("chat message " + std::to_string(i) + ": a system message must come first");
  }
}

void FormatChatMl(const std::vector<ChatMessage>& messages, bool generation, const ChatFormatOptions& options,
                  Builder& b) {
  if (!options.default_system.empty() && (messages.empty() || messages[0].role != "system")) {
    b.Template("<|im_start|>system\n" + options.default_system + "<|im_end|>\n");
  }
  for (const ChatMessage& m : messages) b.Template("<|im_start|>" + m.role + "\n").Content(m.content).End().Template("<|im_end|>\n");
  if (generation) b.Template("<|im_start|>assistant\n");
}

void FormatLlama3(const std::vector<ChatMessage>& messages, bool generation, Builder& b) {
  for (const ChatMessage& m : messages) {
    b.Template("<|start_header_id|>" + m.role + "<|end_header_id|>\n\n").Content(m.content).End().Template("<|eot_id|>");
  }
  if (generation) b.Template("<|start_header_id|>assistant<|end_header_id|>\n\n");
}

void FormatGemma(const std::vector<ChatMessage>& messages, bool generation, Builder& b) {
  std::string_view system;
  for (const ChatMessage& m : messages) {
    if (m.role == "system") {
      system = m.content;
      b.End();  // written with the first user turn
      continue;
    }
    b.Template(m.role == "user" ? "<start_of_turn>user\n" : "<start_of_turn>model\n");
    if (!system.empty() && m.role == "user") {
      b.Content(system).Template("\n\n");
      system = {};
    }
    b.Content(m.content).End().Template("<end_of_turn>\n");
  }
  if (generation) b.Template("<start_of_turn>model\n");
}

void FormatPhi3(const std::vector<ChatMessage>& messages, bool generation, Builder& b) {
  for (const ChatMessage& m : messages) b.Template("<|" + m.role + "|>\n").Content(m.content).End().Template("<|end|>\n");
  if (generation) b.Template("<|assistant|>\n");
}

// Llama 2 and Mistral: the model's turn follows [/INST] directly; the prompt for its next turn
// is the end of the last user turn, so add_generation_prompt adds nothing.
void FormatLlama2(const std::vector<ChatMessage>& messages, const ChatFormatOptions& options, Builder& b) {
  bool inside_turn = true;
  b.Template("[INST] ");
  for (const ChatMessage& m : messages) {
    if (!inside_turn) {
      inside_turn = true;
      b.Template(options.llama2_bos_between_turns ? "<s>[INST] " : "[INST] ");
    }
    if (m.role == "system") {
      if (options.llama2_system_block) {
        b.Template("<<SYS>>\n").Content(m.content).End().Template("\n<</SYS>>\n\n");
      } else {
        b.Content(m.content).End().Template("\n");
      }
    } else if (m.role == "user") {
      b.Content(m.content).End().Template(" [/INST]");
    } else {
      b.Content(m.content).End().Template("</s>");
      inside_turn = false;
    }
  }
}

}  // namespace

ChatText ChatText::Tail(size_t from) const {
  ChatText tail;
  tail.text = text.substr(std::min(from, text.size()));
  for (const auto& [begin, end] : content) {
    if (end > from) tail.content.emplace_back(std::max(begin, from) - from, end - from);
  }
  return tail;
}

std::optional<ChatFormat> DetectChatFormat(std::string_view t) {
  if (Contains(t, "<|im_start|>")) return ChatFormat::kChatMl;
  if (Contains(t, "<|start_header_id|>") && Contains(t, "<|eot_id|>")) return ChatFormat::kLlama3;
  if (Contains(t, "<start_of_turn>")) return ChatFormat::kGemma;
  if (Contains(t, "<|user|>") && Contains(t, "<|end|>")) return ChatFormat::kPhi3;
  if (Contains(t, "[INST]")) return ChatFormat::kLlama2;
  return std::nullopt;
}

std::optional<ChatFormat> ChatFormatByName(std::string_view name) {
  if (name == "mistral") return ChatFormat::kLlama2;
  for (const FormatName& f : kNames) {
    if (f.name == name) return f.format;
  }
  return std::nullopt;
}

const char* ChatFormatName(ChatFormat format) {
  for (const FormatName& f : kNames) {
    if (f.format == format) return f.name.data();
  }
  return "?";
}

std::string ChatFormatNames() {
  std::string names;
  for (const FormatName& f : kNames) names += (names.empty() ? "" : ", ") + std::string(f.name);
  return names;
}

ChatFormatOptions ChatFormatOptionsOf(std::string_view t) {
  ChatFormatOptions options;
  options.llama2_system_block = Contains(t, "<<SYS>>");
  options.llama2_bos_between_turns = Contains(t, "bos_token + '[INST]");
  // A string literal '<|im_start|>system\n...<|im_end|>\n' (newlines as Jinja escapes or as
  // themselves) is the system prompt a ChatML template writes by default.
  for (const std::string_view open : {"'<|im_start|>system\\n", "'<|im_start|>system\n"}) {
    const size_t at = t.find(open);
    if (at == std::string_view::npos) continue;
    const size_t begin = at + open.size();
    const size_t end = t.find("<|im_end|>", begin);
    const std::string_view text = end == std::string_view::npos ? std::string_view{} : t.substr(begin, end - begin);
    if (!text.empty() && text.find_first_of("'{}") == std::string_view::npos) options.default_system = text;
    break;
  }
  return options;
}

ChatText FormatChat(ChatFormat format, const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                    const ChatFormatOptions& options) {
  CheckRoles(messages);
  Builder b;
  switch (format) {
    case ChatFormat::kChatMl: FormatChatMl(messages, add_generation_prompt, options, b); break;
    case ChatFormat::kLlama3: FormatLlama3(messages, add_generation_prompt, b); break;
    case ChatFormat::kGemma: FormatGemma(messages, add_generation_prompt, b); break;
    case ChatFormat::kPhi3: FormatPhi3(messages, add_generation_prompt, b); break;
    case ChatFormat::kLlama2: FormatLlama2(messages, options, b); break;
  }
  return b.Take();
}

}  // namespace ingot
