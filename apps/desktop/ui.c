/*
 * ingot-desktop's GTK UI (the main thread): the window, its buttons and shortcuts, the model
 * chooser, starting a generation on the worker thread and showing what it posts.
 */
#include <stdio.h>

#include "app.h"

gboolean on_status_idle(gpointer data) {
  Piece* p = data;
  if (!p->app->shutting_down) gtk_label_set_text(GTK_LABEL(p->app->status_label), p->text);
  g_free(p->text);
  g_free(p);
  return G_SOURCE_REMOVE;
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

gboolean on_piece_idle(gpointer data) {
  Piece* p = data;
  if (!p->app->shutting_down) append_output(p->app, p->text, NULL);
  g_free(p->text);
  g_free(p);
  return G_SOURCE_REMOVE;
}

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
void stop_and_join(App* app) {
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

gboolean on_done_idle(gpointer data) {
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
gboolean on_quit_signal(gpointer data) {
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

void on_activate(GtkApplication* gtk_app, gpointer data) {
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
