/*
 * ingot-desktop: a small GTK 4 front end over ingot's public C API (ingot.h).
 *
 * Built only against an installed ingot (find_package(ingot) -> ingot::ingot). The model is
 * loaded and run on a worker thread (GThread); generated text reaches the UI thread through
 * g_idle_add. Stop calls ingot_session_cancel() from the UI thread. Uses GTK 4.8 APIs only.
 *
 *   ingot-desktop [--model PATH] [--prompt TEXT] [--n-predict N] [--autorun]
 *                 [--quit-when-done SECONDS] [--help]
 */
#include <glib-unix.h>
#include <gtk/gtk.h>
#include <ingot/ingot.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef INGOT_DESKTOP_SOURCE_DIR
#define INGOT_DESKTOP_SOURCE_DIR "."
#endif

typedef struct Options {
  char* model;
  char* prompt;
  int n_predict;
  gboolean autorun;
  int quit_when_done; /* seconds; < 0: stay open */
} Options;

typedef struct App {
  Options opt;
  GtkApplication* gtk_app;
  GtkWidget* window;
  GtkWidget* model_label;
  GtkWidget* choose_button;
  GtkWidget* prompt_view;
  GtkWidget* n_predict_spin;
  GtkWidget* generate_button;
  GtkWidget* stop_button;
  GtkWidget* status_label;
  GtkWidget* output_view;
  GtkNativeDialog* chooser;

  char* model_path; /* the chosen model (UI thread) */

  /* Owned by the worker while one runs, by the UI thread otherwise. */
  ingot_model* model;
  char* loaded_path;

  GThread* worker;     /* non-NULL while a generation runs (UI thread only) */
  gboolean autorun_pending; /* the running generation came from --autorun */
  gboolean shutting_down;

  GMutex lock;              /* guards session and cancel_requested */
  ingot_session* session;   /* the worker's live session, for Stop */
  gboolean cancel_requested;
} App;

/* ---- Messages from the worker to the UI thread ---------------------------------------- */

typedef struct Piece {
  App* app;
  char* text;
} Piece;

typedef struct Done {
  App* app;
  int32_t status;
  int32_t n_generated;
  double seconds;
  char* message; /* NULL on success */
} Done;

typedef struct Job {
  App* app;
  char* model_path;
  char* prompt;
  int32_t n_predict;
  gulong token_delay_us; /* INGOT_DESKTOP_TOKEN_DELAY_MS: slows streaming, for demos and tests */
} Job;

static char* status_message(int32_t status) {
  const char* name = "?";
  const char* detail = "";
  ingot_status_name(status, &name);
  ingot_last_error(&detail);
  if (detail == NULL || detail[0] == '\0') return g_strdup(name);
  return g_strdup_printf("%s: %s", name, detail);
}

static gboolean on_status_idle(gpointer data) {
  Piece* p = data;
  if (!p->app->shutting_down) gtk_label_set_text(GTK_LABEL(p->app->status_label), p->text);
  g_free(p->text);
  g_free(p);
  return G_SOURCE_REMOVE;
}

static void post_status(App* app, char* owned_text) {
  Piece* p = g_new0(Piece, 1);
  p->app = app;
  p->text = owned_text;
  g_idle_add(on_status_idle, p);
}

static void append_output(App* app, const char* text, const char* tag) {
  GtkTextView* view = GTK_TEXT_VIEW(app->output_view);
  GtkTextBuffer* buffer = gtk_text_view_get_buffer(view);
  GtkTextIter end;
  gtk_text_buffer_get_end_iter(buffer, &end);
  if (tag != NULL)
    gtk_text_buffer_insert_with_tags_by_name(buffer, &end, text, -1, tag, NULL);
  else
    gtk_text_buffer_insert(buffer, &end, text, -1);
  GtkTextMark* mark = gtk_text_buffer_get_mark(buffer, "end");
  gtk_text_buffer_get_end_iter(buffer, &end);
  gtk_text_buffer_move_mark(buffer, mark, &end);
  gtk_text_view_scroll_mark_onscreen(view, mark);
}

static gboolean on_piece_idle(gpointer data) {
  Piece* p = data;
  if (!p->app->shutting_down) append_output(p->app, p->text, NULL);
  g_free(p->text);
  g_free(p);
  return G_SOURCE_REMOVE;
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

static gboolean on_done_idle(gpointer data);
static int parse_int(const char* s, int lo, int hi, int* out);

/* ---- The worker thread ----------------------------------------------------------------- */

static gpointer worker_main(gpointer data) {
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

/* ---- UI ---------------------------------------------------------------------------------- */

static void set_running(App* app, gboolean running) {
  gtk_widget_set_sensitive(app->generate_button, !running);
  gtk_widget_set_sensitive(app->choose_button, !running);
  gtk_widget_set_sensitive(app->stop_button, running);
}

static void request_cancel(App* app) {
  g_mutex_lock(&app->lock);
  app->cancel_requested = TRUE;
  if (app->session != NULL) ingot_session_cancel(app->session);
  g_mutex_unlock(&app->lock);
}

/* Cancels and waits for a running worker (UI thread). */
static void stop_and_join(App* app) {
  if (app->worker == NULL) return;
  request_cancel(app);
  g_thread_join(app->worker);
  app->worker = NULL;
}

static gboolean on_quit_timeout(gpointer data) {
  App* app = data;
  g_application_quit(G_APPLICATION(app->gtk_app));
  return G_SOURCE_REMOVE;
}

static gboolean on_done_idle(gpointer data) {
  Done* done = data;
  App* app = done->app;
  if (app->worker != NULL) {
    g_thread_join(app->worker);
    app->worker = NULL;
  }
  if (!app->shutting_down) {
    char* text;
    if (done->message != NULL) {
      text = g_strdup_printf("Error: %s", done->message);
      printf("ingot-desktop: failed: %s\n", done->message);
    } else {
      double rate = done->seconds > 0 ? done->n_generated / done->seconds : 0.0;
      const char* how = done->status == INGOT_ERROR_CANCELLED ? "Stopped"
                        : done->status == INGOT_ERROR_CONTEXT_FULL ? "Context full"
                                                                   : "Done";
      text = g_strdup_printf("%s: %d tokens in %.2f s (%.1f tokens/s)", how, done->n_generated, done->seconds,
                             rate);
      printf("ingot-desktop: generated %d tokens\n", done->n_generated);
    }
    fflush(stdout);
    gtk_label_set_text(GTK_LABEL(app->status_label), text);
    g_free(text);
    set_running(app, FALSE);
    if (app->autorun_pending && app->opt.quit_when_done >= 0)
      g_timeout_add_seconds((guint)app->opt.quit_when_done, on_quit_timeout, app);
    app->autorun_pending = FALSE;
  }
  g_free(done->message);
  g_free(done);
  return G_SOURCE_REMOVE;
}

static void start_generation(App* app) {
  if (app->worker != NULL) return;
  if (app->model_path == NULL) {
    gtk_label_set_text(GTK_LABEL(app->status_label), "Choose a model first.");
    return;
  }
  GtkTextBuffer* pb = gtk_text_view_get_buffer(GTK_TEXT_VIEW(app->prompt_view));
  GtkTextIter a, b;
  gtk_text_buffer_get_bounds(pb, &a, &b);
  char* prompt = gtk_text_buffer_get_text(pb, &a, &b, FALSE);
  if (prompt[0] == '\0') {
    g_free(prompt);
    gtk_label_set_text(GTK_LABEL(app->status_label), "Type a prompt first.");
    return;
  }
  GtkTextBuffer* ob = gtk_text_view_get_buffer(GTK_TEXT_VIEW(app->output_view));
  gtk_text_buffer_set_text(ob, "", -1);
  append_output(app, prompt, "prompt");

  Job* job = g_new0(Job, 1);
  job->app = app;
  job->model_path = g_strdup(app->model_path);
  job->prompt = prompt;
  gtk_spin_button_update(GTK_SPIN_BUTTON(app->n_predict_spin));
  job->n_predict = (int32_t)gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(app->n_predict_spin));
  const char* delay = g_getenv("INGOT_DESKTOP_TOKEN_DELAY_MS");
  if (delay != NULL) {
    int ms = 0;
    if (parse_int(delay, 0, 10000, &ms)) job->token_delay_us = (gulong)ms * 1000u;
  }

  g_mutex_lock(&app->lock);
  app->cancel_requested = FALSE;
  g_mutex_unlock(&app->lock);
  set_running(app, TRUE);
  gtk_label_set_text(GTK_LABEL(app->status_label), "Starting…");
  GError* error = NULL;
  app->worker = g_thread_try_new("ingot-generate", worker_main, job, &error);
  if (app->worker == NULL) {
    char* text = g_strdup_printf("Error: cannot start a thread: %s", error ? error->message : "?");
    gtk_label_set_text(GTK_LABEL(app->status_label), text);
    g_free(text);
    g_clear_error(&error);
    g_free(job->model_path);
    g_free(job->prompt);
    g_free(job);
    set_running(app, FALSE);
  }
}

static void on_generate_clicked(GtkButton* button, gpointer data) {
  (void)button;
  start_generation(data);
}

static void on_stop_clicked(GtkButton* button, gpointer data) {
  (void)button;
  App* app = data;
  if (app->worker == NULL) return;
  request_cancel(app);
  gtk_label_set_text(GTK_LABEL(app->status_label), "Stopping…");
}

static void set_model_path(App* app, const char* path) {
  g_free(app->model_path);
  app->model_path = path ? g_strdup(path) : NULL;
  gtk_label_set_text(GTK_LABEL(app->model_label), path ? path : "(no model chosen)");
  gtk_widget_set_tooltip_text(app->model_label, path);
}

static void on_chooser_response(GtkNativeDialog* dialog, int response, gpointer data) {
  App* app = data;
  if (response == GTK_RESPONSE_ACCEPT) {
    GFile* file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    if (file != NULL) {
      char* path = g_file_get_path(file);
      if (path != NULL) set_model_path(app, path);
      g_free(path);
      g_object_unref(file);
    }
  }
  gtk_native_dialog_destroy(dialog);
  g_object_unref(dialog);
  app->chooser = NULL;
}

static void on_choose_clicked(GtkButton* button, gpointer data) {
  (void)button;
  App* app = data;
  if (app->chooser != NULL) return;
  GtkFileChooserNative* native = gtk_file_chooser_native_new("Choose a model", GTK_WINDOW(app->window),
                                                             GTK_FILE_CHOOSER_ACTION_OPEN, "_Open", "_Cancel");
  GtkFileFilter* models = gtk_file_filter_new();
  gtk_file_filter_set_name(models, "Models (*.gguf, *.bin)");
  gtk_file_filter_add_pattern(models, "*.gguf");
  gtk_file_filter_add_pattern(models, "*.bin");
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(native), models);
  g_object_unref(models);
  GtkFileFilter* all = gtk_file_filter_new();
  gtk_file_filter_set_name(all, "All files");
  gtk_file_filter_add_pattern(all, "*");
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(native), all);
  g_object_unref(all);
  if (app->model_path != NULL) {
    GFile* file = g_file_new_for_path(app->model_path);
    gtk_file_chooser_set_file(GTK_FILE_CHOOSER(native), file, NULL);
    g_object_unref(file);
  }
  app->chooser = GTK_NATIVE_DIALOG(native);
  g_signal_connect(native, "response", G_CALLBACK(on_chooser_response), app);
  gtk_native_dialog_show(app->chooser);
}

static gboolean on_close_request(GtkWindow* window, gpointer data) {
  (void)window;
  App* app = data;
  app->shutting_down = TRUE;
  stop_and_join(app);
  return FALSE; /* let the window close */
}

static gboolean on_generate_shortcut(GtkWidget* widget, GVariant* args, gpointer data) {
  (void)widget;
  (void)args;
  App* app = data;
  if (app->worker == NULL) start_generation(app);
  return TRUE;
}

static gboolean on_stop_shortcut(GtkWidget* widget, GVariant* args, gpointer data) {
  (void)widget;
  (void)args;
  on_stop_clicked(NULL, data);
  return TRUE;
}

static gboolean on_close_shortcut(GtkWidget* widget, GVariant* args, gpointer data) {
  (void)widget;
  (void)args;
  App* app = data;
  gtk_window_close(GTK_WINDOW(app->window)); /* emits close-request */
  return TRUE;
}

/* SIGINT, SIGTERM: stop a running generation, join the worker and quit cleanly. */
static gboolean on_quit_signal(gpointer data) {
  App* app = data;
  app->shutting_down = TRUE;
  stop_and_join(app);
  g_application_quit(G_APPLICATION(app->gtk_app));
  return G_SOURCE_CONTINUE;
}

static gboolean on_autorun(gpointer data) {
  App* app = data;
  app->autorun_pending = TRUE;
  start_generation(app);
  if (app->worker == NULL) { /* could not start: still honour --quit-when-done */
    printf("ingot-desktop: failed: %s\n", gtk_label_get_text(GTK_LABEL(app->status_label)));
    fflush(stdout);
    app->autorun_pending = FALSE;
    if (app->opt.quit_when_done >= 0)
      g_timeout_add_seconds((guint)app->opt.quit_when_done, on_quit_timeout, app);
  }
  return G_SOURCE_REMOVE;
}

static GtkWidget* scrolled(GtkWidget* child, int min_height) {
  GtkWidget* sw = gtk_scrolled_window_new();
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(sw), child);
  gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(sw), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(sw), min_height);
  gtk_scrolled_window_set_has_frame(GTK_SCROLLED_WINDOW(sw), TRUE);
  return sw;
}

static GtkWidget* heading(const char* text) {
  GtkWidget* label = gtk_label_new(NULL);
  char* markup = g_markup_printf_escaped("<b>%s</b>", text);
  gtk_label_set_markup(GTK_LABEL(label), markup);
  g_free(markup);
  gtk_label_set_xalign(GTK_LABEL(label), 0.0f);
  return label;
}

static void on_activate(GtkApplication* gtk_app, gpointer data) {
  App* app = data;
  if (app->window != NULL) {
    gtk_window_present(GTK_WINDOW(app->window));
    return;
  }
  GtkWidget* window = gtk_application_window_new(gtk_app);
  app->window = window;
  gtk_window_set_title(GTK_WINDOW(window), "ingot");
  gtk_window_set_default_size(GTK_WINDOW(window), 820, 600);
  g_signal_connect(window, "close-request", G_CALLBACK(on_close_request), app);
  GtkWidget* header = gtk_header_bar_new();
  gtk_window_set_titlebar(GTK_WINDOW(window), header);

  /* Ctrl+Return: Generate; Escape: Stop; Ctrl+W, Ctrl+Q: close (as the close button). */
  GtkEventController* keys = gtk_shortcut_controller_new();
  gtk_shortcut_controller_set_scope(GTK_SHORTCUT_CONTROLLER(keys), GTK_SHORTCUT_SCOPE_GLOBAL);
  gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE); /* before the text views */
  gtk_shortcut_controller_add_shortcut(
      GTK_SHORTCUT_CONTROLLER(keys),
      gtk_shortcut_new(gtk_shortcut_trigger_parse_string("<Control>Return"),
                       gtk_callback_action_new(on_generate_shortcut, app, NULL)));
  gtk_shortcut_controller_add_shortcut(
      GTK_SHORTCUT_CONTROLLER(keys),
      gtk_shortcut_new(gtk_shortcut_trigger_parse_string("Escape"),
                       gtk_callback_action_new(on_stop_shortcut, app, NULL)));
  gtk_shortcut_controller_add_shortcut(
      GTK_SHORTCUT_CONTROLLER(keys),
      gtk_shortcut_new(gtk_shortcut_trigger_parse_string("<Control>w|<Control>q"),
                       gtk_callback_action_new(on_close_shortcut, app, NULL)));
  gtk_widget_add_controller(window, keys);

  GtkWidget* box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
  gtk_widget_set_margin_start(box, 12);
  gtk_widget_set_margin_end(box, 12);
  gtk_widget_set_margin_top(box, 12);
  gtk_widget_set_margin_bottom(box, 12);
  gtk_window_set_child(GTK_WINDOW(window), box);

  /* Model chooser */
  GtkWidget* model_row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_box_append(GTK_BOX(model_row), heading("Model"));
  app->choose_button = gtk_button_new_with_mnemonic("_Choose…");
  g_signal_connect(app->choose_button, "clicked", G_CALLBACK(on_choose_clicked), app);
  gtk_box_append(GTK_BOX(model_row), app->choose_button);
  app->model_label = gtk_label_new(NULL);
  gtk_label_set_xalign(GTK_LABEL(app->model_label), 0.0f);
  gtk_label_set_ellipsize(GTK_LABEL(app->model_label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_selectable(GTK_LABEL(app->model_label), TRUE);
  gtk_widget_set_hexpand(app->model_label, TRUE);
  gtk_box_append(GTK_BOX(model_row), app->model_label);
  gtk_box_append(GTK_BOX(box), model_row);

  /* Prompt */
  gtk_box_append(GTK_BOX(box), heading("Prompt"));
  app->prompt_view = gtk_text_view_new();
  gtk_text_view_set_wrap_mode(GTK_TEXT_VIEW(app->prompt_view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin(GTK_TEXT_VIEW(app->prompt_view), 6);
  gtk_text_view_set_right_margin(GTK_TEXT_VIEW(app->prompt_view), 6);
  gtk_text_view_set_top_margin(GTK_TEXT_VIEW(app->prompt_view), 4);
  gtk_text_view_set_bottom_margin(GTK_TEXT_VIEW(app->prompt_view), 4);
  gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(app->prompt_view)), app->opt.prompt, -1);
  gtk_box_append(GTK_BOX(box), scrolled(app->prompt_view, 80));

  /* Buttons */
  GtkWidget* button_row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
  app->generate_button = gtk_button_new_with_mnemonic("_Generate");
  gtk_widget_add_css_class(app->generate_button, "suggested-action");
  g_signal_connect(app->generate_button, "clicked", G_CALLBACK(on_generate_clicked), app);
  gtk_box_append(GTK_BOX(button_row), app->generate_button);
  app->stop_button = gtk_button_new_with_mnemonic("_Stop");
  g_signal_connect(app->stop_button, "clicked", G_CALLBACK(on_stop_clicked), app);
  gtk_box_append(GTK_BOX(button_row), app->stop_button);
  GtkWidget* tokens_label = gtk_label_new("Tokens:");
  gtk_widget_set_margin_start(tokens_label, 12);
  gtk_box_append(GTK_BOX(button_row), tokens_label);
  app->n_predict_spin = gtk_spin_button_new_with_range(1, 4096, 1);
  gtk_spin_button_set_value(GTK_SPIN_BUTTON(app->n_predict_spin), app->opt.n_predict);
  gtk_box_append(GTK_BOX(button_row), app->n_predict_spin);
  gtk_box_append(GTK_BOX(box), button_row);

  /* Status */
  app->status_label = gtk_label_new("Ready.");
  gtk_label_set_xalign(GTK_LABEL(app->status_label), 0.0f);
  gtk_label_set_wrap(GTK_LABEL(app->status_label), TRUE);
  gtk_label_set_wrap_mode(GTK_LABEL(app->status_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable(GTK_LABEL(app->status_label), TRUE);
  gtk_box_append(GTK_BOX(box), app->status_label);

  /* Output */
  gtk_box_append(GTK_BOX(box), heading("Output"));
  app->output_view = gtk_text_view_new();
  GtkTextView* ov = GTK_TEXT_VIEW(app->output_view);
  gtk_text_view_set_editable(ov, FALSE);
  gtk_text_view_set_cursor_visible(ov, FALSE);
  gtk_text_view_set_wrap_mode(ov, GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin(ov, 6);
  gtk_text_view_set_right_margin(ov, 6);
  gtk_text_view_set_top_margin(ov, 4);
  gtk_text_view_set_bottom_margin(ov, 4);
  GtkTextBuffer* ob = gtk_text_view_get_buffer(ov);
  gtk_text_buffer_create_tag(ob, "prompt", "weight", PANGO_WEIGHT_BOLD, NULL);
  GtkTextIter end;
  gtk_text_buffer_get_end_iter(ob, &end);
  gtk_text_buffer_create_mark(ob, "end", &end, FALSE);
  GtkWidget* out_sw = scrolled(app->output_view, 200);
  gtk_widget_set_vexpand(out_sw, TRUE);
  gtk_box_append(GTK_BOX(box), out_sw);

  set_model_path(app, app->opt.model);
  set_running(app, FALSE);
  gtk_window_present(GTK_WINDOW(window));
  if (app->opt.autorun) g_timeout_add(200, on_autorun, app);
}

/* ---- Command line and the default model ------------------------------------------------ */

static char* find_default_model(void) {
  const char* rel = "stories260K" G_DIR_SEPARATOR_S "stories260K.bin";
  const char* dirs[] = {"models", ".." G_DIR_SEPARATOR_S "shared" G_DIR_SEPARATOR_S "models",
                        INGOT_DESKTOP_SOURCE_DIR "/../../models",
                        INGOT_DESKTOP_SOURCE_DIR "/../../../shared/models"};
  for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
    char* path = g_build_filename(dirs[i], rel, NULL);
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
      char* abs = g_canonicalize_filename(path, NULL);
      g_free(path);
      return abs;
    }
    g_free(path);
  }
  return NULL;
}

static void usage(FILE* out) {
  fputs("usage: ingot-desktop [options]\n"
        "  --model PATH              model file (.gguf or a llama2.c .bin); default: stories260K from\n"
        "                            ./models or ../shared/models\n"
        "  --prompt TEXT             the prompt (default \"Once upon a time\")\n"
        "  --n-predict N             tokens to generate (default 200)\n"
        "  --autorun                 start generating as soon as the window is shown\n"
        "  --quit-when-done SECONDS  after an --autorun generation finishes, wait SECONDS, then quit\n"
        "  --help                    this text\n"
        "INGOT_DESKTOP_TOKEN_DELAY_MS=N in the environment waits N ms after each token (demos, tests).\n"
        "Keys: Ctrl+Return generates, Escape stops, Ctrl+W or Ctrl+Q closes the window.\n"
        "When a generation finishes, prints \"ingot-desktop: generated N tokens\" to stdout.\n",
        out);
}

static int parse_int(const char* s, int lo, int hi, int* out) {
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return 0;
  *out = (int)v;
  return 1;
}

/* Returns -1 to continue, else an exit code. */
static int parse_args(int argc, char** argv, Options* opt) {
  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    const char* value = NULL;
    char name[64];
    const char* eq = strchr(arg, '=');
    if (strncmp(arg, "--", 2) == 0 && eq != NULL && (size_t)(eq - arg) < sizeof name) {
      memcpy(name, arg, (size_t)(eq - arg));
      name[eq - arg] = '\0';
      value = eq + 1;
      arg = name;
    }
    int takes_value = strcmp(arg, "--model") == 0 || strcmp(arg, "--prompt") == 0 ||
                      strcmp(arg, "--n-predict") == 0 || strcmp(arg, "--quit-when-done") == 0;
    if (takes_value && value == NULL) {
      if (i + 1 >= argc) {
        fprintf(stderr, "ingot-desktop: %s needs a value\n", arg);
        return 2;
      }
      value = argv[++i];
    } else if (!takes_value && value != NULL) {
      fprintf(stderr, "ingot-desktop: %s takes no value\n", arg);
      return 2;
    }
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(arg, "--model") == 0) {
      g_free(opt->model);
      opt->model = g_strdup(value);
    } else if (strcmp(arg, "--prompt") == 0) {
      g_free(opt->prompt);
      opt->prompt = g_strdup(value);
    } else if (strcmp(arg, "--n-predict") == 0) {
      if (!parse_int(value, 1, 4096, &opt->n_predict)) {
        fprintf(stderr, "ingot-desktop: --n-predict: expected an integer in 1..4096, got '%s'\n", value);
        return 2;
      }
    } else if (strcmp(arg, "--quit-when-done") == 0) {
      if (!parse_int(value, 0, 86400, &opt->quit_when_done)) {
        fprintf(stderr, "ingot-desktop: --quit-when-done: expected seconds in 0..86400, got '%s'\n", value);
        return 2;
      }
    } else if (strcmp(arg, "--autorun") == 0) {
      opt->autorun = TRUE;
    } else {
      fprintf(stderr, "ingot-desktop: unknown option '%s' (see --help)\n", argv[i]);
      return 2;
    }
  }
  return -1;
}

int main(int argc, char** argv) {
  static App app; /* lives until exit: idle callbacks may still reference it */
  app.opt.n_predict = 200;
  app.opt.quit_when_done = -1;
  int rc = parse_args(argc, argv, &app.opt);
  if (rc >= 0) return rc;
  if (app.opt.prompt == NULL) app.opt.prompt = g_strdup("Once upon a time");
  if (app.opt.model == NULL) app.opt.model = find_default_model();

  int32_t major = 0;
  ingot_version(&major, NULL, NULL);
  if (major != INGOT_API_VERSION_MAJOR) {
    fprintf(stderr, "ingot-desktop: libingot has API %d, this program was built for %d\n", major,
            INGOT_API_VERSION_MAJOR);
    return 1;
  }

  g_mutex_init(&app.lock);
  app.gtk_app = gtk_application_new("org.ingot.Desktop", G_APPLICATION_NON_UNIQUE);
  g_signal_connect(app.gtk_app, "activate", G_CALLBACK(on_activate), &app);
  guint sigint = g_unix_signal_add(SIGINT, on_quit_signal, &app);
  guint sigterm = g_unix_signal_add(SIGTERM, on_quit_signal, &app);
  char* gtk_argv[] = {argv[0], NULL};
  int status = g_application_run(G_APPLICATION(app.gtk_app), 1, gtk_argv);

  g_source_remove(sigint);
  g_source_remove(sigterm);
  app.shutting_down = TRUE;
  stop_and_join(&app);
  if (app.chooser != NULL) {
    gtk_native_dialog_destroy(app.chooser);
    g_clear_object(&app.chooser);
  }
  g_object_unref(app.gtk_app);
  ingot_model_free(app.model);
  g_free(app.loaded_path);
  g_free(app.model_path);
  g_free(app.opt.model);
  g_free(app.opt.prompt);
  g_mutex_clear(&app.lock);
  return status;
}
