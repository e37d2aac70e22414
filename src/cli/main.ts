import { Command } from "commander";
import { registerChatCommand } from "./chat.ts";
import { envFileRead } from "./common.ts";
import { registerDoctorCommand } from "./doctor.ts";
import { registerFlowsCommands } from "./flows.ts";
import { registerInitCommand } from "./init.ts";
import { registerReportCommands } from "./report.ts";
import { registerDemoCommand } from "./demo.ts";
import { registerStaffCommands } from "./staff.ts";
import { registerTelegramCommands } from "./telegram.ts";
import { registerMaxCommands } from "./max.ts";

/**
 * `npx frontdesk <command>`: the owner's and operator's tools. Each command group
 * lives in its own file under src/cli/ and is registered here with one line.
 * `.env` is read first, for every command (the environment wins over it).
 */
envFileRead();
const program = new Command("frontdesk").description("front desk: set-up, flows, reports and platform checks").showHelpAfterError();

registerInitCommand(program);
registerDoctorCommand(program);
registerChatCommand(program);
registerFlowsCommands(program);
registerReportCommands(program);
registerDemoCommand(program);
registerTelegramCommands(program);
registerStaffCommands(program);
registerMaxCommands(program);

await program.parseAsync(process.argv);
