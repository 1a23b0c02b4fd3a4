/*
 * consumer.c: a C99 program that uses ingot the way an outside user does, through
 * <ingot/ingot.h> and the installed library alone (tests/package/package.sh builds it against
 * an installed tree, with find_package(ingot) and with pkg-config, shared and static).
 *
 * Usage: consumer MODEL_PATH   (stories260K.bin)
 * Greedy FP32 generation from stories260K must give the golden token ids of
 * tests/unit/test_golden.cpp. A missing model prints "skipped: ..." and exits 77, unless
 * INGOT_REQUIRE_ASSETS is set: then it is a failure.
 */
#include <ingot/ingot.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_GENERATE 48

static const int32_t kPromptIds[] = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426};
static const int32_t kGoldenIds[N_GENERATE] = {
    338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426,
    385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426, 338, 391, 266,
    267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415, 426, 13,  438};

typedef struct generated {
  int32_t ids[N_GENERATE + 1];
  int32_t n_ids;
  char text[4096];
  size_t n_text;
} generated;

static int fail(const char* what, int32_t status) {
  const char* message = "";
  const char* name = "";
  ingot_last_error(&message);
  ingot_status_name(status, &name);
  fprintf(stderr, "consumer: FAILED: %s: %s (%d): %s\n", what, name, (int)status, message);
  return 1;
}

static int32_t on_token(const char* text, size_t length, int32_t token, void* user_data) {
  generated* out = (generated*)user_data;
  if (out->n_ids < N_GENERATE + 1) out->ids[out->n_ids] = token;
  out->n_ids++;
  if (out->n_text + length < sizeof(out->text)) {
    memcpy(out->text + out->n_text, text, length);
    out->n_text += length;
    out->text[out->n_text] = '\0';
  }
  return 0;
}

static void print_ids(const char* label, const int32_t* ids, int32_t n) {
  int32_t i;
  printf("%s", label);
  for (i = 0; i < n; ++i) printf("%s%d", i ? "," : "", (int)ids[i]);
  printf("\n");
}

int main(int argc, char** argv) {
  const char* path;
  const char* require;
  const char* release = NULL;
  int32_t api_major = 0, api_minor = 0;
  FILE* probe;
  ingot_model* model = NULL;
  ingot_session* session = NULL;
  ingot_model_info info;
  ingot_session_params params;
  int32_t tokens[64];
  int32_t n_tokens = 0, n_generated = 0, status;
  const int32_t n_prompt = (int32_t)(sizeof(kPromptIds) / sizeof(kPromptIds[0]));
  static generated out;
  int ok = 1;

  if (argc != 2) {
    fprintf(stderr, "usage: consumer MODEL_PATH\n");
    return 2;
  }
  path = argv[1];

  status = ingot_version(&api_major, &api_minor, &release);
  if (status != INGOT_OK) return fail("ingot_version", status);
  printf("consumer: header API %d.%d, library API %d.%d, release %s\n", INGOT_API_VERSION_MAJOR,
         INGOT_API_VERSION_MINOR, (int)api_major, (int)api_minor, release ? release : "(null)");
  if (api_major != INGOT_API_VERSION_MAJOR) {
    fprintf(stderr, "consumer: FAILED: library API major %d, header %d\n", (int)api_major, INGOT_API_VERSION_MAJOR);
    return 1;
  }

  probe = fopen(path, "rb");
  if (probe == NULL) {
    require = getenv("INGOT_REQUIRE_ASSETS");
    if (require != NULL && require[0] != '\0') {
      fprintf(stderr, "consumer: FAILED: %s not found, and INGOT_REQUIRE_ASSETS is set\n", path);
      return 1;
    }
    printf("skipped: %s not found (put stories260K in ./models or ../shared/models)\n", path);
    return 77;
  }
  fclose(probe);

  status = ingot_model_load(path, NULL, &model);
  if (status != INGOT_OK) return fail("ingot_model_load", status);
  memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  status = ingot_model_get_info(model, &info);
  if (status != INGOT_OK) return fail("ingot_model_get_info", status);
  printf("consumer: loaded %s (%s, %s): %d layers, vocabulary %d, kernels %s\n", path, info.architecture,
         info.format, (int)info.n_layers, (int)info.n_vocab, info.isa);

  status = ingot_session_params_init(&params);
  if (status != INGOT_OK) return fail("ingot_session_params_init", status);
  params.mode = INGOT_MODE_FP32;
  params.temperature = 0.0f; /* greedy */
  params.repeat_penalty = 1.0f;
  params.n_threads = 1;
  status = ingot_session_create(model, &params, &session);
  if (status != INGOT_OK) return fail("ingot_session_create", status);

  status = ingot_session_tokenize(session, "Once upon a time, there was a little girl named Lily.", 1, tokens,
                                  (int32_t)(sizeof(tokens) / sizeof(tokens[0])), &n_tokens);
  if (status != INGOT_OK) return fail("ingot_session_tokenize", status);
  print_ids("consumer: prompt ids: ", tokens, n_tokens);
  if (n_tokens != n_prompt || memcmp(tokens, kPromptIds, sizeof(kPromptIds)) != 0) {
    print_ids("consumer: FAILED: expected prompt ids: ", kPromptIds, n_prompt);
    return 1;
  }

  status = ingot_session_eval(session, tokens, n_tokens);
  if (status != INGOT_OK) return fail("ingot_session_eval", status);
  status = ingot_session_generate(session, N_GENERATE, on_token, &out, &n_generated);
  if (status != INGOT_OK) return fail("ingot_session_generate", status);

  printf("consumer: generated text: %s\n", out.text);
  print_ids("consumer: generated ids: ", out.ids, out.n_ids < N_GENERATE ? out.n_ids : N_GENERATE);
  if (n_generated != N_GENERATE || out.n_ids != N_GENERATE) {
    fprintf(stderr, "consumer: FAILED: %d tokens generated, %d passed to the callback; expected %d\n", (int)n_generated,
            (int)out.n_ids, N_GENERATE);
    ok = 0;
  } else if (memcmp(out.ids, kGoldenIds, sizeof(kGoldenIds)) != 0) {
    print_ids("consumer: FAILED: expected golden ids: ", kGoldenIds, N_GENERATE);
    ok = 0;
  }

  status = ingot_session_free(session);
  if (status != INGOT_OK) return fail("ingot_session_free", status);
  status = ingot_model_free(model);
  if (status != INGOT_OK) return fail("ingot_model_free", status);
  printf("consumer: %s\n", ok ? "OK: the generated ids match the golden ids" : "FAILED");
  return ok ? 0 : 1;
}
