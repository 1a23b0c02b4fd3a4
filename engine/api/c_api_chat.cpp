// The C API's chat functions: the model's chat template, and a conversation's token ids.
#include <string>
#include <vector>

#include "engine/api/guard.h"
#include "engine/api/handles.h"
#include "engine/session/chat.h"
#include "ingot/ingot.h"

namespace {

// The messages as C++ values; NULL pointers refused, naming the message.
std::vector<ingot::ChatMessage> Messages(const ingot_chat_message* messages, int32_t n_messages) {
  if (n_messages < 0) Fail(INGOT_ERROR_INVALID_ARGUMENT, "n_messages is negative");
  if (n_messages > 0) Require(messages, "messages");
  std::vector<ingot::ChatMessage> out;
  for (int32_t i = 0; i < n_messages; ++i) {
    const std::string what = "messages[" + std::to_string(i) + "]";
    if (messages[i].role == nullptr) Fail(INGOT_ERROR_INVALID_ARGUMENT, what + ".role is NULL");
    if (messages[i].content == nullptr) Fail(INGOT_ERROR_INVALID_ARGUMENT, what + ".content is NULL");
    out.push_back({messages[i].role, messages[i].content});
  }
  return out;
}

}  // namespace

int32_t ingot_chat_template(const ingot_model* model, const char* template_name, const char** name,
                            int32_t* end_of_turn) {
  return Guard("ingot_chat_template", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(model, "model");
    const ingot::ChatSpec spec = ingot::ResolveChat(*model->model, template_name != nullptr ? template_name : "");
    if (name != nullptr) *name = ingot::ChatFormatName(spec.format);
    if (end_of_turn != nullptr) *end_of_turn = spec.end_of_turn;
  });
}

int32_t ingot_chat_tokenize(const ingot_model* model, const char* template_name, const ingot_chat_message* messages,
                            int32_t n_messages, int32_t add_generation_prompt, int32_t start_after, int32_t* tokens,
                            int32_t capacity, int32_t* n_tokens) {
  return Guard("ingot_chat_tokenize", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(model, "model");
    if (start_after < -1 || start_after >= n_messages) {
      Fail(INGOT_ERROR_INVALID_ARGUMENT, "start_after " + std::to_string(start_after) + " is not -1 or a message index");
    }
    const ingot::ChatSpec spec = ingot::ResolveChat(*model->model, template_name != nullptr ? template_name : "");
    CopyTokens(ingot::TokenizeChat(*model->model, spec, Messages(messages, n_messages), add_generation_prompt != 0,
                                   start_after),
               tokens, capacity, n_tokens);
  });
}
