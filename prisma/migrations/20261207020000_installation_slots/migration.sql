-- Issue 21, item 5: one bound per Cognigy installation across every service process on the
-- database. A call to an installation holds one of its slots (numbers 0 … FORWARDING_PER_API_BASE − 1)
-- from just before the request until the answer. A slot is held under a lease renewed by its process;
-- a slot whose lease ran out (the process was killed) is free for anyone. Rows are created on first
-- use of an installation and kept (a free slot is a row with no holder); the table has at most
-- installations × bound rows.
CREATE TABLE "installation_slots" (
    "installation" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "holder" TEXT,
    "lease_expires_at" TIMESTAMPTZ(3),
    "claimed_at" TIMESTAMPTZ(3),

    CONSTRAINT "installation_slots_pkey" PRIMARY KEY ("installation", "slot"),
    CONSTRAINT "installation_slots_slot_check" CHECK ("slot" >= 0),
    CONSTRAINT "installation_slots_held_check" CHECK (("holder" IS NULL) = ("lease_expires_at" IS NULL))
);
-- The renewal and the release at stop find a process's slots by holder.
CREATE INDEX "installation_slots_holder_idx" ON "installation_slots"("holder");

-- A process whose calls wait for a slot of an installation says so here (renewed while it asks, for a
-- few retry intervals): a process giving a slot back takes it again at once only when no other
-- process waits for that installation, so that none keeps an installation to itself.
CREATE TABLE "installation_waits" (
    "installation" TEXT NOT NULL,
    "worker" TEXT NOT NULL,
    "until" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "installation_waits_pkey" PRIMARY KEY ("installation", "worker")
);
