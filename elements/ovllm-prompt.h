/* ovllm's analytics prompt: what the recent frames' metadata says, and
 * the `prompt` template rendered with it.
 *
 * A scene collects frames as they pass:
 * - objects: the latest frame a detector looked at (marked detected, or
 *   carrying objects) replaces the list; frames in between keep it;
 * - identities and events: accumulated over the window since the last
 *   rendering (ov_llm_scene_new_window), in order of first appearance.
 *
 * Placeholders in the template (anything else in braces stays as it is):
 *   {objects}     person #3 (0.91) at left, face #7 "Alice" (0.88) at top
 *                 right, ... : label, " #id" when tracked, the identity in
 *                 quotes when ovidentify named it, the confidence with two
 *                 decimals and the box centre's ninth of the frame (top
 *                 left, top, top right, left, center, right, bottom left,
 *                 bottom, bottom right); at most OV_LLM_MAX_OBJECTS, then
 *                 "and N more"; "none" without objects
 *   {counts}      2 person, 1 car (by label, in order of first appearance;
 *                 "none")
 *   {identities}  Alice, Bob: persons ovidentify named in the window
 *                 ("unknown" faces are not persons; "none")
 *   {events}      Alice appeared, Bob left: ovidentify's identity events
 *                 in the window ("none")
 *   {time}        stream time of the rendering frame, H:MM:SS
 *   {count}       the number of objects */
#ifndef OV_LLM_PROMPT_H
#define OV_LLM_PROMPT_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define OV_LLM_MAX_OBJECTS 32

typedef struct _OvLlmScene OvLlmScene;

OvLlmScene *ov_llm_scene_new (void);
void ov_llm_scene_free (OvLlmScene *scene);

/* Reads the frame's metadata; width and height (the caps') place boxes
 * that have no normalized "detection" structure. */
void ov_llm_scene_add_frame (OvLlmScene *scene, GstBuffer *buffer,
    int width, int height);

/* Forgets the identities and events of the window (objects stay). */
void ov_llm_scene_new_window (OvLlmScene *scene);
/* Forgets everything (a flush). */
void ov_llm_scene_reset (OvLlmScene *scene);

/* The template with its placeholders replaced (free it). */
char *ov_llm_scene_render (const OvLlmScene *scene, const char *template_,
    GstClockTime stream_time);

G_END_DECLS

#endif
