#ifndef GST_OV_LLM_H
#define GST_OV_LLM_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_OV_LLM (gst_ov_llm_get_type ())
G_DECLARE_FINAL_TYPE (GstOvLlm, gst_ov_llm, GST, OV_LLM, GstElement)
GST_ELEMENT_REGISTER_DECLARE (ovllm);

/* Text mode: the serialized custom downstream event that follows each
 * answer's last chunk (see the element's documentation for its fields). */
#define GST_OV_LLM_ANSWER_END "ovllm-answer-end"

G_END_DECLS

#endif
