import { z } from "zod";
import { idSchema } from "@/lib/http/api-route";

export const emailSchema = z
  .string({ error: "Email is required." })
  .trim()
  .toLowerCase()
  .max(254, "Email can be at most 254 characters.")
  .pipe(z.email({ error: "Enter a valid email address." }));

export const nameSchema = z.string().trim().max(120, "Name can be at most 120 characters.");
export const roleSchema = z.enum(["owner", "admin", "editor", "member"], { error: "Role must be owner, admin, editor or member." });

export const createUserSchema = z
  .object({
    email: emailSchema,
    name: nameSchema.optional().default(""),
    role: roleSchema.optional().default("member"),
    groupIds: z.array(idSchema).max(100).optional().default([]),
  })
  .strict();

export const updateUserSchema = z
  .object({
    name: nameSchema.optional(),
    role: roleSchema.optional(),
    status: z.enum(["active", "disabled"], { error: "Status must be active or disabled." }).optional(),
    groupIds: z.array(idSchema).max(100).optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, "Nothing to change: send name, role, status or groupIds.");

export const listUsersQuery = z
  .object({ q: z.string().max(200).optional(), status: z.enum(["invited", "active", "disabled"]).optional() })
  .strict();
