/*
 * ingot-desktop's generation worker: loads the model (kept for the next run while the path is the
 * same), creates a session, evaluates the prompt and generates, posting the status, each piece
 * of text and the result to the UI thread. Stop reaches it through ingot_session_cancel().
 */
#include <string.h>

#include "app.h"

static char* status_message(int32_t status) {
  const char* name = "?";
  const char* detail = "";
  ingot_status_name(status, &name);
  ingot_last_error(&detail);
  if (detail == NULL || detail[0] == '\0') return g_strdup(name);
  return g_strdup_printf("%s: %s", name, detail);
}

static void post_status(App* app, char* owned_text) {
  Piece* p = g_new0(Piece, 1);
  p->app = app;
  p->text = owned_text;
  g_idle_add(on_status_idle, p);
}

static int32_t on_token(const char* text, size_t length, int32_t token, void* user_data) {
  (void)token;
  Job* job = user_data;
  if (job->token_delay_us > 0) g_usleep(job->token_delay_us);
  if (length == 0) return 0;
  Piece* p = g_new0(Piece, 1);
  p->app = job->app;
  p->text = g_strndup(text, length);
  g_idle_add(on_piece_idle, p);
  return 0;
}

gpointer worker_main(gpointer data) {
  Job* job = data;
  App* app = job->app;
  Done* done = g_new0(Done, 1);
  done->app = app;
  ingot_session* session = NULL;
  gint64 start = g_get_monotonic_time();

  if (app->model == NULL || app->loaded_path == NULL || strcmp(app->loaded_path, job->model_path) != 0) {
    if (app->model != NULL) {
      ingot_model_free(app->model);
      app->model = NULL;
      g_clear_pointer(&app->loaded_path, g_free);
    }
    char* base = g_path_get_basename(job->model_path);
    post_status(app, g_strdup_printf("Loading %s…", base));
    g_free(base);
    ingot_model* model = NULL;
    int32_t st = ingot_model_load(job->model_path, NULL, &model);
    if (st != INGOT_OK) {
      done->status = st;
      done->message = status_message(st);
      goto finish;
    }
    app->model = model;
    app->loaded_path = g_strdup(job->model_path);
  }

  ingot_session_params sp;
  ingot_session_params_init(&sp);
  sp.mode = INGOT_MODE_INT8;
  sp.n_ctx = INGOT_N_CTX_MODEL;
  int32_t st = ingot_session_create(app->model, &sp, &session);
  if (st != INGOT_OK) {
    done->status = st;
    done->message = status_message(st);
    session = NULL;
    goto finish;
  }
  g_mutex_lock(&app->lock);
  app->session = session;
  if (app->cancel_requested) ingot_session_cancel(session);
  g_mutex_unlock(&app->lock);

  post_status(app, g_strdup("Reading the prompt…"));
  st = ingot_session_eval_prompt(session, job->prompt);
  if (st != INGOT_OK) {
    done->status = st;
    if (st != INGOT_ERROR_CANCELLED) done->message = status_message(st); /* Stop during the prompt */
    goto finish;
  }
  post_status(app, g_strdup("Generating…"));
  start = g_get_monotonic_time();
  int32_t n = 0;
  st = ingot_session_generate(session, job->n_predict, on_token, job, &n);
  done->n_generated = n;
  done->status = st;
  if (st != INGOT_OK && st != INGOT_ERROR_CANCELLED && st != INGOT_ERROR_CONTEXT_FULL)
    done->message = status_message(st);

finish:
  done->seconds = (double)(g_get_monotonic_time() - start) / 1e6;
  if (session != NULL) {
    g_mutex_lock(&app->lock);
    app->session = NULL;
    g_mutex_unlock(&app->lock);
    ingot_session_free(session);
  }
  g_free(job->model_path);
  g_free(job->prompt);
  g_free(job);
  g_idle_add(on_done_idle, done);
  return NULL;
}
