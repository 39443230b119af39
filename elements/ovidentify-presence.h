/* Who is in the stream: the persons identified recently, and the changes
 * (appeared, left) frame after frame. A person appears on the first frame
 * they are identified on and leaves once not identified for `leave_after`
 * of stream time, so detection gaps, frames skipped by inference-interval
 * and single missed recognitions do not make them leave and come back.
 * Time is whatever monotonic clock the caller passes (nanoseconds, the
 * running time); each frame also carries a stamp that events report (the
 * stream time), which may jump where the clock does not. */
#ifndef OV_IDENTIFY_PRESENCE_H
#define OV_IDENTIFY_PRESENCE_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _OvIdentifyPresence OvIdentifyPresence;

typedef enum {
  OV_PRESENCE_APPEARED,
  OV_PRESENCE_LEFT,
} OvPresenceChange;

typedef enum {
  OV_PRESENCE_LEFT_UNSEEN,      /* not identified for leave_after */
  OV_PRESENCE_LEFT_END,         /* the stream ended */
} OvPresenceLeaveReason;

/* Where a person was seen: a region in frame pixels. */
typedef struct {
  gint x, y, w, h;
  gint object_id;               /* -1: untracked */
} OvPresenceRegion;

typedef struct {
  OvPresenceChange change;
  OvPresenceLeaveReason reason; /* for OV_PRESENCE_LEFT */
  gint64 person_id;             /* 0: the unknown faces, taken together */
  gchar *name;                  /* the name when last seen */
  /* APPEARED: this frame's best similarity and its region; LEFT: the
   * best similarity while present, and the last region. */
  double similarity;
  OvPresenceRegion region;
  guint64 first_seen, last_seen;        /* frame stamps */
} OvPresenceEvent;

OvIdentifyPresence *ov_identify_presence_new (void);
void ov_identify_presence_free (OvIdentifyPresence *presence);

/* Starts a frame at time `now` (earlier than the previous frame's counts
 * as the same time), reported as `stamp`. */
void ov_identify_presence_begin_frame (OvIdentifyPresence *presence,
    guint64 now, guint64 stamp);
/* A person identified on this frame; several sightings of one person on
 * a frame count once, with the best similarity. */
void ov_identify_presence_seen (OvIdentifyPresence *presence,
    gint64 person_id, const gchar *name, double similarity,
    const OvPresenceRegion *region);
/* Ends the frame: the persons who left (not seen for `leave_after`),
 * then those who appeared on it, as OvPresenceEvent (clear them with
 * ov_presence_event_clear, which the array does). */
GArray *ov_identify_presence_end_frame (OvIdentifyPresence *presence,
    guint64 leave_after);
/* Everyone still present leaves (end of stream). */
GArray *ov_identify_presence_leave_all (OvIdentifyPresence *presence);
/* Time jumped (a flushing seek): everyone present counts as seen at the
 * next frame's time, so a jump back is no absence. */
void ov_identify_presence_rebase (OvIdentifyPresence *presence);
void ov_identify_presence_clear (OvIdentifyPresence *presence);
guint ov_identify_presence_count (OvIdentifyPresence *presence);

void ov_presence_event_clear (OvPresenceEvent *event);

G_END_DECLS

#endif
