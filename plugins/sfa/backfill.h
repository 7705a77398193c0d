// File: plugins/sfa/backfill.h
//
// Rebuilding the aggregates (aggregates.h) from the records, by the host's
// backfill (plugin-guide "Backfill"): on SFA's first enable in a tenant, or
// on `rapportctl modules backfill sfa`. The start clears every derived key
// (keys::DerivedPrefixes); the host then hands over every interaction and
// every opportunity of one snapshot, interactions first, and post-commit
// hooks continue from that snapshot. The result equals what the hooks would
// have built had SFA followed every change, except the stage history of a
// deal's changes that SFA's pre-commit hook did not see (made while SFA was
// off for their writer): such a deal has entered only its current stage.

#ifndef RAPPORT_PLUGINS_SFA_BACKFILL_H_
#define RAPPORT_PLUGINS_SFA_BACKFILL_H_

#include "rapport/sdk/plugin.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::sfa {

using rapport::sdk::Call;
using rapport::sdk::Status;

// Deletes every key derived from records.
Status StartBackfill(const Call& call);
// Notes an interaction on its opportunity (the latest wins) for the
// opportunity's own backfill to pick up.
Status BackfillInteraction(const Call& call, const rapport::v1::Interaction& interaction);
// Builds the opportunity's state from its recorded stage history (hist/)
// and the record, and adds it to the aggregates.
Status BackfillOpportunity(const Call& call, const rapport::v1::Opportunity& opp);

}  // namespace rapport::sfa

#endif  // RAPPORT_PLUGINS_SFA_BACKFILL_H_
