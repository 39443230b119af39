/* Identity votes per tracked object: the last N recognitions of each
 * object id and their majority, so one noisy recognition does not flip a
 * tracked face's name, and the name stays on frames without a new
 * recognition. Objects not seen for a while are forgotten. */
#ifndef OV_IDENTIFY_VOTES_H
#define OV_IDENTIFY_VOTES_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _OvIdentifyVotes OvIdentifyVotes;

/* One recognition: person_id 0 means unknown. */
typedef struct {
  gint64 person_id;
  double similarity;
  double distance;
} OvIdentifyVote;

/* The majority over an object's window. */
typedef struct {
  gint64 person_id;             /* 0: unknown */
  double similarity;            /* mean over the winning votes */
  double distance;              /* mean over the winning votes */
  guint votes;                  /* votes for the winner */
  guint window;                 /* votes in the window */
} OvIdentifyVerdict;

/* `window` recognitions per object; objects unseen for `forget_after`
 * frames are dropped. */
OvIdentifyVotes *ov_identify_votes_new (guint window, guint forget_after);
void ov_identify_votes_free (OvIdentifyVotes *votes);

/* Starts a frame at time `now` (a monotonic clock, ns; earlier than
 * before counts as the same): ages every object, forgets the stale ones. */
void ov_identify_votes_next_frame (OvIdentifyVotes *votes, guint64 now);
/* Adds a recognition for `object_id` (seen on this frame). */
void ov_identify_votes_add (OvIdentifyVotes *votes, gint object_id,
    const OvIdentifyVote *vote);
/* Marks the object seen and gives its verdict; FALSE if it has no votes.
 * Ties go to the identity voted for most recently. */
gboolean ov_identify_votes_verdict (OvIdentifyVotes *votes, gint object_id,
    OvIdentifyVerdict *verdict);
/* Forgets objects not seen on this frame nor for `absent_for` before it:
 * a tracker that gives an old id to a face after a long gap must not
 * hand it the old face's identity. Call once the frame's objects are in. */
void ov_identify_votes_forget_absent (OvIdentifyVotes *votes,
    guint64 absent_for);
void ov_identify_votes_clear (OvIdentifyVotes *votes);

G_END_DECLS

#endif
