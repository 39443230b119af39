/* A frame's inference results as text, for tests that compare two runs
 * (VA or DMA-BUF input against the same frame in system memory). */
#ifndef OV_TEST_RESULTS_H
#define OV_TEST_RESULTS_H

#include <gst/gst.h>

/* Every ROI (box and parameter structures) and tensor meta, in meta
 * order; tensor data as its size and SHA-256 (its pointer fields, which
 * differ between runs, left out). Free with g_free. */
char *ov_test_describe_results (GstBuffer *buf);

#endif
